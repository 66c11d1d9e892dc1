/* Direct convolution for few output channels (LeNet-style convs: outC <= 8, few input
 * channels, width stride and dilation 1), where im2col + GEMM is a very skinny GEMM.
 *
 * Each image is first "expanded": xe[r][ci][q * outC + co] = x[r - padTop, q - padLeft, ci] for
 * every co (zero outside the image). An output row y[oh, :, :] flattened over (ow, co) is then,
 * for each (kh, kw, ci), a contiguous run of xe times a weight pattern repeating with period
 * outC, so vectors of L = floor(16 / outC) * outC lanes (every lane's co is l % outC) need plain
 * loads and FMAs only. Results do not depend on the thread count: the forward pass is parallel
 * over images (each writes its own outputs), the filter gradient sums fixed chunks of images into
 * their own partials, which are then added in chunk order. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "conv_direct.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CD_X86 1
#endif

#define LANES 16
#define MAX_BLOCK 8  /* output vectors per register block (forward) */
#define MAX_FW 8     /* filter gradient: one accumulator pair per kw */
#define BF_CHUNK 4   /* images per filter-gradient partial */
#define XE_MAX (256 * 1024) /* floats of an image's expansion */

typedef struct {
  const cn_conv_t *c;
  int64_t L, HE, WEC, rowLen, nv; /* lanes used; expanded rows, row stride; output row floats, vectors */
} cd_geom_t;

static void geom(const cn_conv_t *c, cd_geom_t *g) {
  g->c = c;
  g->L = (LANES / c->outC) * c->outC;
  g->HE = (c->outH - 1) * c->sh + (c->fh - 1) * c->dh + 1;
  /* slack: the last vector reads past the row; rows start on cache lines */
  g->WEC = ((c->outW + c->fw - 1) * c->outC + 2 * LANES - 1) / LANES * LANES;
  g->rowLen = c->outW * c->outC;
  g->nv = (g->rowLen + g->L - 1) / g->L;
}

/* From 9 output channels on (one image pixel or less per vector) the GEMM path was as fast or
 * faster (LeNet's 6 -> 16 conv: forward 1.0 vs 1.3 ms, filter gradient 1.1 vs 1.7 ms). */
#define MAX_OUT_C 8

static int eligible(const cn_conv_t *c, int filterGrad) {
  if (c->outC < 1 || c->outC > MAX_OUT_C || c->inC < 1 || c->inC > 8 || c->sw != 1 || c->dw != 1) return 0;
  if (c->outH < 1 || c->outW < 1 || c->batch < 1 || (filterGrad && c->fw > MAX_FW)) return 0;
  cd_geom_t g;
  geom(c, &g);
  return g.HE * c->inC * g.WEC <= XE_MAX;
}

#ifdef CD_X86
/* Expands image b of x into xe [HE][inC][WEC]. */
__attribute__((target("avx512f"))) static void expand(const cd_geom_t *g, const float *x, int64_t b, float *xe) {
  const cn_conv_t *c = g->c;
  const int64_t C = c->inC, CO = c->outC, WE = c->outW + c->fw - 1;
  const __mmask16 m = (__mmask16)((1u << CO) - 1);
  for (int64_t r = 0; r < g->HE; r++) {
    const int64_t ih = r - c->padTop;
    float *rows = xe + r * C * g->WEC;
    if (ih < 0 || ih >= c->inH) { memset(rows, 0, sizeof(float) * (size_t)(C * g->WEC)); continue; }
    const float *src = x + ((b * c->inH + ih) * c->inW) * C;
    for (int64_t ci = 0; ci < C; ci++) {
      float *dst = rows + ci * g->WEC;
      for (int64_t q = 0; q < WE; q++) {
        const int64_t iw = q - c->padLeft;
        const float v = iw >= 0 && iw < c->inW ? src[iw * C + ci] : 0.0f;
        _mm512_mask_storeu_ps(dst + q * CO, m, _mm512_set1_ps(v));
      }
      memset(dst + WE * CO, 0, sizeof(float) * (size_t)(g->WEC - WE * CO));
    }
  }
}

/* wv[(kh, ci, kw)][l] = w[kh, kw, ci, l % outC] for l < L, else 0. */
static void weight_vectors(const cd_geom_t *g, const float *w, float *wv) {
  const cn_conv_t *c = g->c;
  for (int64_t kh = 0; kh < c->fh; kh++)
    for (int64_t ci = 0; ci < c->inC; ci++)
      for (int64_t kw = 0; kw < c->fw; kw++) {
        float *v = wv + ((kh * c->inC + ci) * c->fw + kw) * LANES;
        for (int64_t l = 0; l < LANES; l++)
          v[l] = l < g->L ? w[((kh * c->fw + kw) * c->inC + ci) * c->outC + l % c->outC] : 0.0f;
      }
}

/* buf rounded up to a cache line (buf has LANES spare floats); NULL stays NULL. */
static float *aligned(float *buf) {
  return buf ? (float *)(((uintptr_t)buf + 63) & ~(uintptr_t)63) : NULL;
}

static __mmask16 lanes_mask(int64_t n) { return (__mmask16)(n >= LANES ? 0xffff : (1u << n) - 1); }

/* y row oh, vectors [v0, v0 + R): sum over (kh, ci, kw) in that order. */
__attribute__((target("avx512f"), always_inline)) static inline void fwd_block(
    const cd_geom_t *g, const float *xe, const float *wv, int64_t oh, int64_t v0, const int R, float *yrow) {
  const cn_conv_t *c = g->c;
  __m512 acc[MAX_BLOCK];
  for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
  for (int64_t kh = 0; kh < c->fh; kh++)
    for (int64_t ci = 0; ci < c->inC; ci++) {
      const float *base = xe + ((oh * c->sh + kh * c->dh) * c->inC + ci) * g->WEC + v0 * g->L;
      const float *wk = wv + (kh * c->inC + ci) * c->fw * LANES;
      for (int64_t kw = 0; kw < c->fw; kw++) {
        const __m512 wvec = _mm512_loadu_ps(wk + kw * LANES);
        const float *p = base + kw * c->outC;
        for (int r = 0; r < R; r++) acc[r] = _mm512_fmadd_ps(_mm512_loadu_ps(p + r * g->L), wvec, acc[r]);
      }
    }
  for (int r = 0; r < R; r++) {
    const int64_t j = (v0 + r) * g->L;
    const int64_t n = g->rowLen - j < g->L ? g->rowLen - j : g->L;
    _mm512_mask_storeu_ps(yrow + j, lanes_mask(n), acc[r]);
  }
}

__attribute__((target("avx512f"))) static void fwd_row(const cd_geom_t *g, const float *xe,
                                                        const float *wv, int64_t oh, float *yrow) {
  const int64_t blocks = (g->nv + MAX_BLOCK - 1) / MAX_BLOCK;
  for (int64_t k = 0; k < blocks; k++) {
    const int64_t v0 = k * g->nv / blocks, v1 = (k + 1) * g->nv / blocks;
    switch (v1 - v0) {
#define CASE(R) case R: fwd_block(g, xe, wv, oh, v0, R, yrow); break;
      CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8)
#undef CASE
    }
  }
}

typedef struct {
  cd_geom_t g;
  const float *x, *w, *dy;
  float *out;
  atomic_int failed;
} cd_job_t;

__attribute__((target("avx512f"))) static void fwd_images(void *ctx, int64_t b0, int64_t b1) {
  cd_job_t *job = ctx;
  const cd_geom_t *g = &job->g;
  const cn_conv_t *c = g->c;
  float *buf = cn_alloc((size_t)(g->HE * c->inC * g->WEC + LANES), sizeof(float));
  float *xe = aligned(buf);
  float *wv = cn_alloc((size_t)(c->fh * c->fw * c->inC * LANES), sizeof(float));
  if (buf && wv) {
    weight_vectors(g, job->w, wv);
    for (int64_t b = b0; b < b1; b++) {
      expand(g, job->x, b, xe);
      for (int64_t oh = 0; oh < c->outH; oh++)
        fwd_row(g, xe, wv, oh, job->out + (b * c->outH + oh) * g->rowLen);
    }
  } else {
    atomic_store(&job->failed, 1);
  }
  free(buf);
  free(wv);
}

/* acc pair per kw for (kh, ci) over images of the chunk; folded into part[kh, kw, ci, co]. */
__attribute__((target("avx512f"), always_inline)) static inline void bf_pass_fw(const cd_geom_t *g,
    const float *xe, const float *dy, int64_t nb, int64_t kh, int64_t ci, float *part, const int fw) {
  const cn_conv_t *c = g->c;
  const int64_t image = g->HE * c->inC * g->WEC, CO = c->outC, L = g->L;
  __m512 a0[MAX_FW], a1[MAX_FW];
  for (int k = 0; k < fw; k++) a0[k] = a1[k] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; b++)
    for (int64_t oh = 0; oh < c->outH; oh++) {
      const float *xr = xe + b * image + ((oh * c->sh + kh * c->dh) * c->inC + ci) * g->WEC;
      const float *dr = dy + (b * c->outH + oh) * g->rowLen;
      int64_t v = 0;
      for (; v + 1 < g->nv; v += 2) {
        const int64_t j = v * L;
        const __m512 d0 = _mm512_maskz_loadu_ps(lanes_mask(L), dr + j);
        const int64_t n1 = g->rowLen - j - L < L ? g->rowLen - j - L : L;
        const __mmask16 m1 = lanes_mask(n1);
        const __m512 d1 = _mm512_maskz_loadu_ps(m1, dr + j + L);
        for (int k = 0; k < fw; k++) {
          a0[k] = _mm512_fmadd_ps(_mm512_loadu_ps(xr + j + k * CO), d0, a0[k]);
          a1[k] = _mm512_mask3_fmadd_ps(_mm512_loadu_ps(xr + j + L + k * CO), d1, a1[k], m1);
        }
      }
      if (v < g->nv) {
        const int64_t j = v * L;
        const __mmask16 m0 = lanes_mask(g->rowLen - j < L ? g->rowLen - j : L);
        const __m512 d0 = _mm512_maskz_loadu_ps(m0, dr + j);
        for (int k = 0; k < fw; k++)
          a0[k] = _mm512_mask3_fmadd_ps(_mm512_loadu_ps(xr + j + k * CO), d0, a0[k], m0);
      }
    }
  float lanes[LANES];
  for (int k = 0; k < fw; k++) {
    _mm512_storeu_ps(lanes, _mm512_add_ps(a0[k], a1[k]));
    float *dst = part + ((kh * fw + k) * c->inC + ci) * CO;
    for (int64_t co = 0; co < CO; co++) {
      float s = lanes[co];
      for (int64_t l = co + CO; l < L; l += CO) s += lanes[l];
      dst[co] = s;
    }
  }
}

__attribute__((target("avx512f"))) static void bf_pass(const cd_geom_t *g, const float *xe,
    const float *dy, int64_t nb, int64_t kh, int64_t ci, float *part) {
  switch (g->c->fw) {
#define CASE(F) case F: bf_pass_fw(g, xe, dy, nb, kh, ci, part, F); break;
    CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8)
#undef CASE
  }
}

/* Chunks [k0, k1): partial k = the filter gradient of images [k * BF_CHUNK, ...). */
__attribute__((target("avx512f"))) static void bf_chunks(void *ctx, int64_t k0, int64_t k1) {
  cd_job_t *job = ctx;
  const cd_geom_t *g = &job->g;
  const cn_conv_t *c = g->c;
  const int64_t image = g->HE * c->inC * g->WEC, n = c->fh * c->fw * c->inC * c->outC;
  float *buf = cn_alloc((size_t)(BF_CHUNK * image + LANES), sizeof(float));
  if (!buf) { atomic_store(&job->failed, 1); return; }
  float *xe = aligned(buf);
  for (int64_t k = k0; k < k1; k++) {
    const int64_t b0 = k * BF_CHUNK, nb = c->batch - b0 < BF_CHUNK ? c->batch - b0 : BF_CHUNK;
    for (int64_t b = 0; b < nb; b++) expand(g, job->x, b0 + b, xe + b * image);
    for (int64_t kh = 0; kh < c->fh; kh++)
      for (int64_t ci = 0; ci < c->inC; ci++)
        bf_pass(g, xe, job->dy + b0 * c->outH * g->rowLen, nb, kh, ci, job->out + k * n);
  }
  free(buf);
}

static int have_avx512(void) { return __builtin_cpu_supports("avx512f"); }
#else
static int have_avx512(void) { return 0; }
#endif

static int direct_enabled(void) {
  static int off = -1; /* $CONDENSE_CONV_DIRECT=0: im2col + GEMM only (benchmarks) */
  if (off < 0) off = getenv("CONDENSE_CONV_DIRECT") && !strcmp(getenv("CONDENSE_CONV_DIRECT"), "0");
  return !off && have_avx512();
}

int cn_direct_conv_fits(const cn_conv_t *c, int filterGrad) {
  return direct_enabled() && eligible(c, filterGrad);
}

const char *cn_conv_core(void) { return direct_enabled() ? "direct-avx512" : "im2col"; }

int cn_conv2d_direct(const cn_conv_t *c, const float *x, const float *w, float *y) {
#ifdef CD_X86
  cd_job_t job = {.x = x, .w = w, .out = y};
  geom(c, &job.g);
  const double work = 2.0 * (double)c->batch * (double)(c->outH * c->outW * c->outC) *
                      (double)(c->fh * c->fw * c->inC);
  cn_parallel_range(c->batch, work, fwd_images, &job);
  return atomic_load(&job.failed) ? CN_ENOMEM : CN_OK;
#else
  return CN_ENOMEM;
#endif
}

int cn_conv2d_backprop_filter_direct(const cn_conv_t *c, const float *x, const float *dy, float *dw) {
#ifdef CD_X86
  const int64_t n = c->fh * c->fw * c->inC * c->outC, chunks = (c->batch + BF_CHUNK - 1) / BF_CHUNK;
  float *partial = cn_alloc((size_t)(chunks * n), sizeof(float));
  if (!partial) return CN_ENOMEM;
  cd_job_t job = {.x = x, .dy = dy, .out = partial};
  geom(c, &job.g);
  const double work = 2.0 * (double)c->batch * (double)(c->outH * c->outW * c->outC) *
                      (double)(c->fh * c->fw * c->inC);
  cn_parallel_range(chunks, work, bf_chunks, &job);
  if (!atomic_load(&job.failed)) {
    memcpy(dw, partial, sizeof(float) * (size_t)n);
    for (int64_t k = 1; k < chunks; k++)
      for (int64_t i = 0; i < n; i++) dw[i] += partial[k * n + i];
  }
  free(partial);
  return atomic_load(&job.failed) ? CN_ENOMEM : CN_OK;
#else
  return CN_ENOMEM;
#endif
}
