/* Depthwise 2-D convolution (NHWC, filters [fh, fw, inC, mult], output channel q = ci * mult + m)
 * and its two gradients, as direct loops whose innermost loop runs over contiguous channels.
 * Parallel over ranges of images (cut by the shape only): the forward and input gradient write
 * each image's own outputs; the filter gradient sums each range in double, then the ranges in
 * order, so the thread count changes no bits. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

typedef struct {
  const cn_conv_t *c;
  const float *a, *b; /* x and w (forward), dy and w (input gradient), x and dy (filter) */
  float *out;
  double **sums;      /* filter gradient: the sum of each range */
  atomic_int status;
} dw_job_t;

/* Multiply-adds of the whole batch: the work the pool's grain is compared with. */
static double dw_work(const cn_conv_t *c) {
  return 2.0 * (double)c->batch * (double)(c->outH * c->outW) * (double)(c->fh * c->fw) * (double)c->outC;
}

/* A range function `name` running `body` compiled twice: plainly and for AVX2 (the same
 * operations twice as wide, no FMA, so the same bits), picked by what this CPU runs. */
#if defined(__x86_64__) && defined(__GNUC__)
#define DW_VARIANTS(name, body)                                                                      \
  static void name##_generic(dw_job_t *j, int64_t b0, int64_t b1) { body(j, b0, b1); }               \
  __attribute__((target("avx2"))) static void name##_avx2(dw_job_t *j, int64_t b0, int64_t b1) {     \
    body(j, b0, b1);                                                                                 \
  }                                                                                                  \
  static void name(void *ctx, int64_t b0, int64_t b1) {                                              \
    if (__builtin_cpu_supports("avx2")) name##_avx2(ctx, b0, b1);                                    \
    else name##_generic(ctx, b0, b1);                                                                \
  }
#else
#define DW_VARIANTS(name, body) \
  static void name(void *ctx, int64_t b0, int64_t b1) { body(ctx, b0, b1); }
#endif

/* Channels of one output pixel accumulated in registers by the one-filter-per-channel paths. */
#define DW_BLOCK 32

/* One output pixel's channels [q0, q0 + w) (w <= DW_BLOCK) of a one-per-channel filter: the taps
 * added in (kh, kw) order from 0, as the generic loop adds them into the zeroed output. */
static inline __attribute__((always_inline)) void forward_pixel_block(
    const cn_conv_t *c, const float *x, const float *w, float *restrict o, int64_t b, int64_t oh,
    int64_t ow, int64_t q0, int64_t width) {
  const int64_t C = c->outC;
  float acc[DW_BLOCK] = {0};
  for (int64_t kh = 0; kh < c->fh; kh++) {
    const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
    if (ih < 0 || ih >= c->inH) continue;
    for (int64_t kw = 0; kw < c->fw; kw++) {
      const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
      if (iw < 0 || iw >= c->inW) continue;
      const float *restrict px = x + ((b * c->inH + ih) * c->inW + iw) * C + q0;
      const float *restrict wr = w + (kh * c->fw + kw) * C + q0;
      for (int64_t q = 0; q < width; q++) acc[q] += px[q] * wr[q];
    }
  }
  for (int64_t q = 0; q < width; q++) o[q0 + q] = acc[q];
}

static inline __attribute__((always_inline)) void forward_body(const dw_job_t *job, int64_t b0, int64_t b1) {
  const cn_conv_t *c = job->c;
  const float *x = job->a, *w = job->b;
  const int64_t Ci = c->inC, Co = c->outC, mult = Co / Ci;
  for (int64_t b = b0; b < b1; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        float *restrict o = job->out + ((b * c->outH + oh) * c->outW + ow) * Co;
        if (mult == 1) {
          int64_t q0 = 0;
          for (; q0 + DW_BLOCK <= Co; q0 += DW_BLOCK) forward_pixel_block(c, x, w, o, b, oh, ow, q0, DW_BLOCK);
          if (q0 < Co) forward_pixel_block(c, x, w, o, b, oh, ow, q0, Co - q0);
          continue;
        }
        memset(o, 0, sizeof(float) * (size_t)Co);
        for (int64_t kh = 0; kh < c->fh; kh++) {
          const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
          if (ih < 0 || ih >= c->inH) continue;
          for (int64_t kw = 0; kw < c->fw; kw++) {
            const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
            if (iw < 0 || iw >= c->inW) continue;
            const float *restrict px = x + ((b * c->inH + ih) * c->inW + iw) * Ci;
            const float *restrict wr = w + (kh * c->fw + kw) * Co;
            for (int64_t q = 0; q < Co; q++) o[q] += px[q / mult] * wr[q];
          }
        }
      }
}

DW_VARIANTS(forward_images, forward_body)

void cn_depthwise(const cn_conv_t *c, const float *x, const float *w, float *y) {
  dw_job_t job = {.c = c, .a = x, .b = w, .out = y};
  cn_parallel_range(c->batch, dw_work(c), forward_images, &job);
}

/* One input pixel's channels [q0, q0 + w) of the input gradient of a one-per-channel filter,
 * gathered from the output pixels it fed. The scatter form adds into dx in (oh, ow) order, that
 * is kh, then kw, descending: so does this, from 0, so the bits are the same. */
static inline __attribute__((always_inline)) void input_grad_pixel_block(
    const cn_conv_t *c, const float *dy, const float *w, float *restrict px, int64_t b, int64_t ih,
    int64_t iw, int64_t q0, int64_t width) {
  const int64_t C = c->outC;
  float acc[DW_BLOCK] = {0};
  const int unit = c->sh == 1 && c->sw == 1; /* no divisions in the common case */
  for (int64_t kh = c->fh - 1; kh >= 0; kh--) {
    const int64_t th = ih + c->padTop - kh * c->dh;
    if (th < 0 || (!unit && th % c->sh != 0)) continue;
    const int64_t oh = unit ? th : th / c->sh;
    if (oh >= c->outH) continue;
    for (int64_t kw = c->fw - 1; kw >= 0; kw--) {
      const int64_t tw = iw + c->padLeft - kw * c->dw;
      if (tw < 0 || (!unit && tw % c->sw != 0)) continue;
      const int64_t ow = unit ? tw : tw / c->sw;
      if (ow >= c->outW) continue;
      const float *restrict g = dy + ((b * c->outH + oh) * c->outW + ow) * C + q0;
      const float *restrict wr = w + (kh * c->fw + kw) * C + q0;
      for (int64_t q = 0; q < width; q++) acc[q] += g[q] * wr[q];
    }
  }
  for (int64_t q = 0; q < width; q++) px[q0 + q] = acc[q];
}

static inline __attribute__((always_inline)) void backprop_input_body(const dw_job_t *job, int64_t b0, int64_t b1) {
  const cn_conv_t *c = job->c;
  const float *dy = job->a, *w = job->b;
  float *dx = job->out;
  const int64_t Ci = c->inC, Co = c->outC, mult = Co / Ci, image = c->inH * c->inW * Ci;
  if (mult == 1) {
    for (int64_t b = b0; b < b1; b++)
      for (int64_t ih = 0; ih < c->inH; ih++)
        for (int64_t iw = 0; iw < c->inW; iw++) {
          float *restrict px = dx + ((b * c->inH + ih) * c->inW + iw) * Ci;
          int64_t q0 = 0;
          for (; q0 + DW_BLOCK <= Co; q0 += DW_BLOCK) input_grad_pixel_block(c, dy, w, px, b, ih, iw, q0, DW_BLOCK);
          if (q0 < Co) input_grad_pixel_block(c, dy, w, px, b, ih, iw, q0, Co - q0);
        }
    return;
  }
  memset(dx + b0 * image, 0, sizeof(float) * (size_t)((b1 - b0) * image));
  for (int64_t b = b0; b < b1; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        const float *restrict g = dy + ((b * c->outH + oh) * c->outW + ow) * Co;
        for (int64_t kh = 0; kh < c->fh; kh++) {
          const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
          if (ih < 0 || ih >= c->inH) continue;
          for (int64_t kw = 0; kw < c->fw; kw++) {
            const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
            if (iw < 0 || iw >= c->inW) continue;
            float *restrict px = dx + ((b * c->inH + ih) * c->inW + iw) * Ci;
            const float *restrict wr = w + (kh * c->fw + kw) * Co;
            for (int64_t q = 0; q < Co; q++) px[q / mult] += g[q] * wr[q];
          }
        }
      }
}

DW_VARIANTS(backprop_input_images, backprop_input_body)

void cn_depthwise_backprop_input(const cn_conv_t *c, const float *dy, const float *w, float *dx) {
  dw_job_t job = {.c = c, .a = dy, .b = w, .out = dx};
  cn_parallel_range(c->batch, dw_work(c), backprop_input_images, &job);
}

/* The range starting at image b0 is the (b0 * parts / batch)-th: its index into job->sums. */
static inline __attribute__((always_inline)) void backprop_filter_body(dw_job_t *job, int64_t b0, int64_t b1) {
  const cn_conv_t *c = job->c;
  const float *x = job->a, *dy = job->b;
  const int64_t Ci = c->inC, Co = c->outC, mult = Co / Ci, n = c->fh * c->fw * Co;
  const int parts = cn_range_parts(c->batch, dw_work(c));
  int part = 0;
  for (int p = 0; p < parts; p++) {
    int64_t lo, hi;
    cn_part_range(c->batch, parts, p, 1, &lo, &hi);
    if (lo == b0 && hi > lo) { part = p; break; }
  }
  double *acc = cn_calloc((size_t)n, sizeof(double));
  if (!acc) { atomic_store(&job->status, CN_ENOMEM); return; }
  job->sums[part] = acc;
  for (int64_t b = b0; b < b1; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        const float *restrict g = dy + ((b * c->outH + oh) * c->outW + ow) * Co;
        for (int64_t kh = 0; kh < c->fh; kh++) {
          const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
          if (ih < 0 || ih >= c->inH) continue;
          for (int64_t kw = 0; kw < c->fw; kw++) {
            const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
            if (iw < 0 || iw >= c->inW) continue;
            const float *restrict px = x + ((b * c->inH + ih) * c->inW + iw) * Ci;
            double *restrict a = acc + (kh * c->fw + kw) * Co;
            if (mult == 1) for (int64_t q = 0; q < Co; q++) a[q] += (double)px[q] * g[q];
            else for (int64_t q = 0; q < Co; q++) a[q] += (double)px[q / mult] * g[q];
          }
        }
      }
}

DW_VARIANTS(backprop_filter_images, backprop_filter_body)

int cn_depthwise_backprop_filter(const cn_conv_t *c, const float *x, const float *dy, float *dw) {
  const int64_t n = c->fh * c->fw * c->outC;
  double *sums[8] = {0};
  dw_job_t job = {.c = c, .a = x, .b = dy, .out = dw, .sums = sums};
  atomic_init(&job.status, CN_OK);
  cn_parallel_range(c->batch, dw_work(c), backprop_filter_images, &job);
  const int rc = atomic_load(&job.status);
  for (int64_t i = 0; i < n && rc == CN_OK; i++) {
    double total = 0.0;
    for (int p = 0; p < 8; p++) if (sums[p]) total += sums[p][i];
    dw[i] = (float)total;
  }
  for (int p = 0; p < 8; p++) free(sums[p]);
  return rc;
}
