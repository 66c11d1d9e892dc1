/* Max pooling and its gradient for 2x2 windows at stride 2 whose windows lie inside the image
 * (LeNet's pools): each output pixel's channels are one masked vector, the gradient is written in
 * one pass (no zeroing pass, no scattered adds, since the windows do not overlap). The same
 * comparisons in the same order as pooling.c, so the same bits; parallel over images. */
#include <string.h>
#include "pool_fast.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PF_X86 1
#endif

typedef struct {
  const cn_conv_t *c;
  const float *x, *dy;
  float *out;
} pf_job_t;

#ifdef PF_X86
static __mmask16 lanes(int64_t n) { return (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1); }

__attribute__((target("avx512f"))) static void pool_images(void *ctx, int64_t b0, int64_t b1) {
  const pf_job_t *job = ctx;
  const cn_conv_t *c = job->c;
  const int64_t C = c->inC, rowIn = c->inW * C;
  for (int64_t b = b0; b < b1; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        const float *p = job->x + ((b * c->inH + 2 * oh) * c->inW + 2 * ow) * C;
        float *o = job->out + ((b * c->outH + oh) * c->outW + ow) * C;
        for (int64_t c0 = 0; c0 < C; c0 += 16) {
          const __mmask16 m = lanes(C - c0);
          const float *q[4] = {p + c0, p + c0 + C, p + c0 + rowIn, p + c0 + rowIn + C};
          __m512 best = _mm512_set1_ps(-__builtin_inff());
          for (int k = 0; k < 4; k++) {
            const __m512 v = _mm512_maskz_loadu_ps(m, q[k]);
            best = _mm512_mask_mov_ps(best, _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ), v);
          }
          _mm512_mask_storeu_ps(o + c0, m, best);
        }
      }
}

__attribute__((target("avx512f"))) static void grad_images(void *ctx, int64_t b0, int64_t b1) {
  const pf_job_t *job = ctx;
  const cn_conv_t *c = job->c;
  const int64_t C = c->inC, rowIn = c->inW * C, image = c->inH * rowIn;
  if (2 * c->outH < c->inH || 2 * c->outW < c->inW) /* pixels no window covers */
    memset(job->out + b0 * image, 0, sizeof(float) * (size_t)((b1 - b0) * image));
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t b = b0; b < b1; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        const int64_t at = ((b * c->inH + 2 * oh) * c->inW + 2 * ow) * C;
        const int64_t off[4] = {at, at + C, at + rowIn, at + rowIn + C};
        const float *g = job->dy + ((b * c->outH + oh) * c->outW + ow) * C;
        for (int64_t c0 = 0; c0 < C; c0 += 16) {
          const __mmask16 m = lanes(C - c0);
          __m512 best = _mm512_set1_ps(-__builtin_inff());
          __mmask16 pick[4], taken = 0;
          for (int k = 0; k < 4; k++) {
            const __m512 v = _mm512_maskz_loadu_ps(m, job->x + off[k] + c0);
            pick[k] = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
            best = _mm512_mask_mov_ps(best, pick[k], v);
          }
          /* the last strict max wins the later comparisons: keep only the final pick per lane */
          for (int k = 3; k >= 0; k--) { pick[k] &= (__mmask16)~taken; taken |= pick[k]; }
          const __m512 gv = _mm512_add_ps(zero, _mm512_maskz_loadu_ps(m, g + c0)); /* 0 + g, as += */
          for (int k = 0; k < 4; k++)
            _mm512_mask_storeu_ps(job->out + off[k] + c0, m, _mm512_maskz_mov_ps(pick[k], gv));
        }
      }
}

static int have_avx512(void) { return __builtin_cpu_supports("avx512f"); }
#else
static void pool_images(void *ctx, int64_t b0, int64_t b1) {}
static void grad_images(void *ctx, int64_t b0, int64_t b1) {}
static int have_avx512(void) { return 0; }
#endif

int cn_pool2x2_fits(const cn_conv_t *c) {
  return have_avx512() && c->fh == 2 && c->fw == 2 && c->sh == 2 && c->sw == 2 && c->padTop == 0 &&
         c->padLeft == 0 && c->dh == 1 && c->dw == 1 && 2 * c->outH <= c->inH &&
         2 * c->outW <= c->inW && c->inC >= 1;
}

static double work(const cn_conv_t *c) {
  return 4.0 * (double)c->batch * (double)(c->outH * c->outW) * (double)c->inC;
}

void cn_max_pool_2x2(const cn_conv_t *c, const float *x, float *y) {
  pf_job_t job = {.c = c, .x = x, .out = y};
  cn_parallel_range(c->batch, work(c), pool_images, &job);
}

void cn_max_pool_grad_2x2(const cn_conv_t *c, const float *x, const float *dy, float *dx) {
  pf_job_t job = {.c = c, .x = x, .dy = dy, .out = dx};
  cn_parallel_range(c->batch, work(c), grad_images, &job);
}
