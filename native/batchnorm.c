/* Batch normalization: TF.js's FusedBatchNorm forward, and its gradient as tfjs-core composes it
 * (FusedBatchNorm_grad.ts), in one kernel instead of ~15 full passes over the activation.
 * Both give the bits of the code they replace: the same float32 operations in the same order,
 * and each per-channel sum accumulated in double over the rows in order, as cn_reduce does. The
 * pool splits the forward by rows and the gradient by channels, so the thread count never
 * changes a bit. */
#include <math.h>
#include <stdlib.h>
#include "kernels.h"

/* Channels of a row computed by one unrolled, vectorized block. */
#define BN_CHANNEL_BLOCK 16
/* Channels summed at once on the stack (and per part on the pool). */
#define BN_CHUNK 64

typedef struct {
  const float *x, *mean, *offset, *scale;
  const double *denom; /* sqrt(var + eps) per channel, in double */
  int64_t C;
  float *out;
} bn_job_t;

/* Rows [lo, hi) of the per-channel case, in double in the order TF.js's cpu kernel evaluates it
 * (offset + (x - mean) * scale / sqrt(var + eps)), so the float32 results are identical; only
 * the square root, which depends on the channel alone, is taken once per channel. */
static inline __attribute__((always_inline)) void bn_rows_body(const bn_job_t *j, int64_t lo, int64_t hi) {
  const int64_t C = j->C;
  const float *restrict mean = j->mean, *restrict offset = j->offset, *restrict scale = j->scale;
  const double *restrict denom = j->denom;
  for (int64_t r = lo; r < hi; r++) {
    const float *restrict xr = j->x + r * C;
    float *restrict o = j->out + r * C;
    for (int64_t c = 0; c < C; c++)
      o[c] = (float)((double)offset[c] + ((double)xr[c] - (double)mean[c]) * (double)scale[c] / denom[c]);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
/* 4 doubles wide: the same operations, so the same bits */
__attribute__((target("avx2"))) static void bn_rows_avx2(const bn_job_t *j, int64_t lo, int64_t hi) {
  bn_rows_body(j, lo, hi);
}
#endif

static void bn_rows(void *ctx, int64_t lo, int64_t hi) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx2")) { bn_rows_avx2(ctx, lo, hi); return; }
#endif
  bn_rows_body(ctx, lo, hi);
}

static void bn_cyclic(const float *x, int64_t n, const float *mean, int64_t lm, const float *var,
                      int64_t lv, const float *offset, int64_t lo, const float *scale, int64_t ls,
                      double eps, float *out) {
  int64_t mi = 0, vi = 0, oi = 0, si = 0;
  for (int64_t i = 0; i < n; i++) {
    const double o = offset ? (double)offset[oi] : 0.0, s = scale ? (double)scale[si] : 1.0;
    out[i] = (float)(o + ((double)x[i] - (double)mean[mi]) * s / sqrt((double)var[vi] + eps));
    if (++mi >= lm) mi = 0;
    if (++vi >= lv) vi = 0;
    if (++oi >= lo) oi = 0;
    if (++si >= ls) si = 0;
  }
}

int cn_batch_norm(const float *x, int64_t n, const float *mean, int64_t lm, const float *var,
                  int64_t lv, const float *offset, int64_t lo, const float *scale, int64_t ls,
                  double eps, float *out) {
  /* the common case: every parameter per channel (the innermost lm values) */
  if (!offset || !scale || lv != lm || lo != lm || ls != lm || n % lm != 0) {
    bn_cyclic(x, n, mean, lm, var, lv, offset, lo, scale, ls, eps, out);
    return CN_OK;
  }
  double *denom = cn_alloc((size_t)lm, sizeof(double));
  if (!denom) return CN_ENOMEM;
  for (int64_t c = 0; c < lm; c++) denom[c] = sqrt((double)var[c] + eps);
  bn_job_t job = {x, mean, offset, scale, denom, lm, out};
  cn_parallel_range(n / lm, CN_ELEMENT_WORK * (double)n, bn_rows, &job);
  free(denom);
  return CN_OK;
}

/* ---------------- the gradient ---------------- */

typedef struct {
  const float *dy, *x, *mean, *scale; /* scale: ones when there is none */
  const float *r, *negR, *mhrc; /* rsqrt(var + eps), its negation, -0.5 * r^3 (float32) */
  int64_t rows, C;
  float *dx, *dmean, *dvar, *dscale, *doffset;
} bn_grad_job_t;

/* dx = (dy * r) * scale: tfjs-core's mul(mul(dy, tile(r)), scale). */
static inline float bn_dx(float dy, float r, float s) { return (dy * r) * s; }

/* One row's terms of `w` channels added to the per-channel sums, each term rounded to float32
 * as the composed ops round it:
 *   mean:   sum((-r) * (dy * s))          variance: sum((mhrc * (x - m)) * (dy * s))
 *   scale:  sum(dy * ((x - m) * r))       offset:   sum(dy)
 * and dx = (dy * r) * s. Inlined with w = BN_CHANNEL_BLOCK, a constant,
 * so gcc unrolls and vectorizes it. */
static inline __attribute__((always_inline)) void bn_grad_row(
    int64_t w, const float *restrict dy, const float *restrict x, const float *restrict m,
    const float *restrict r, const float *restrict nr, const float *restrict h,
    const float *restrict s, double *restrict sm, double *restrict sv, double *restrict ss,
    double *restrict so, float *restrict dx) {
  for (int64_t c = 0; c < w; c++) {
    const float d = dy[c], dys = d * s[c], xm = x[c] - m[c];
    sm[c] += (double)(nr[c] * dys);
    sv[c] += (double)((h[c] * xm) * dys);
    ss[c] += (double)(d * (xm * r[c]));
    so[c] += (double)d;
  }
  for (int64_t c = 0; c < w; c++) dx[c] = bn_dx(dy[c], r[c], s[c]);
}

/* The four per-channel sums of channels [c0, c1) (at most BN_CHUNK) over all rows in order. */
static inline __attribute__((always_inline)) void bn_grad_chunk_body(const bn_grad_job_t *j, int64_t c0, int64_t c1) {
  double sm[BN_CHUNK] = {0}, sv[BN_CHUNK] = {0}, ss[BN_CHUNK] = {0}, so[BN_CHUNK] = {0};
  const int64_t C = j->C, w = c1 - c0;
  const float *m = j->mean + c0, *r = j->r + c0, *nr = j->negR + c0, *h = j->mhrc + c0, *s = j->scale + c0;
  for (int64_t row = 0; row < j->rows; row++) {
    const int64_t at = row * C + c0;
    float *dx = j->dx + at;
    int64_t c = 0;
    for (; c + BN_CHANNEL_BLOCK <= w; c += BN_CHANNEL_BLOCK)
      bn_grad_row(BN_CHANNEL_BLOCK, j->dy + at + c, j->x + at + c, m + c, r + c, nr + c, h + c, s + c,
                  sm + c, sv + c, ss + c, so + c, dx + c);
    if (c < w)
      bn_grad_row(w - c, j->dy + at + c, j->x + at + c, m + c, r + c, nr + c, h + c, s + c, sm + c,
                  sv + c, ss + c, so + c, dx + c);
  }
  for (int64_t c = 0; c < w; c++) {
    j->dmean[c0 + c] = (float)sm[c];
    j->dvar[c0 + c] = (float)sv[c];
    j->dscale[c0 + c] = (float)ss[c];
    j->doffset[c0 + c] = (float)so[c];
  }
}

static void bn_grad_chunk_generic(const bn_grad_job_t *j, int64_t c0, int64_t c1) { bn_grad_chunk_body(j, c0, c1); }
#if defined(__x86_64__) && defined(__GNUC__)
/* The same operations 4 doubles wide (AVX2 without FMA: the same bits, twice the throughput). */
__attribute__((target("avx2"))) static void bn_grad_chunk_avx2(const bn_grad_job_t *j, int64_t c0, int64_t c1) {
  bn_grad_chunk_body(j, c0, c1);
}
#endif

static void bn_grad_chunk(const bn_grad_job_t *j, int64_t c0, int64_t c1) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx2")) { bn_grad_chunk_avx2(j, c0, c1); return; }
#endif
  bn_grad_chunk_generic(j, c0, c1);
}

/* Channel blocks [b0, b1) of BN_CHUNK channels (one block: all channels). */
static void bn_grad_sums(void *ctx, int64_t b0, int64_t b1) {
  const bn_grad_job_t *j = ctx;
  const int64_t end = b1 * BN_CHUNK < j->C ? b1 * BN_CHUNK : j->C;
  for (int64_t c = b0 * BN_CHUNK; c < end; c += BN_CHUNK)
    bn_grad_chunk(j, c, c + BN_CHUNK < end ? c + BN_CHUNK : end);
}

int cn_batch_norm_grad(const float *dy, const float *x, const float *mean, const float *var,
                       const float *scale, int64_t rows, int64_t C, float eps, float *dx,
                       float *dmean, float *dvar, float *dscale, float *doffset) {
  float *params = cn_alloc((size_t)(4 * C), sizeof(float));
  if (!params) return CN_ENOMEM;
  float *r = params, *negR = params + C, *mhrc = params + 2 * C, *ones = params + 3 * C;
  for (int64_t c = 0; c < C; c++) {
    r[c] = (float)(1.0 / sqrt((double)(var[c] + eps))); /* rsqrt(add(variance, eps)) */
    negR[c] = r[c] * -1.0f;
    mhrc[c] = ((r[c] * r[c]) * r[c]) * -0.5f;
    ones[c] = 1.0f; /* tfjs-core's scalar(1) for a missing scale: multiplies exactly */
  }
  bn_grad_job_t job = {dy, x, mean, scale ? scale : ones, r, negR, mhrc, rows, C, dx, dmean, dvar, dscale, doffset};
  /* One pass over dy and x that also writes dx, on the pool by channel blocks of BN_CHUNK when
   * there are several: a thread's share of a row is then >= 256 bytes, so few cache lines of dx
   * are written by two threads. Fewer channels stay on one thread (a part's rows of 64 bytes
   * would share dx's cache lines, and a second pass for dx cost more than it saved). */
  const int64_t blocks = C >= 2 * BN_CHUNK ? (C + BN_CHUNK - 1) / BN_CHUNK : 1;
  cn_parallel_range(blocks, 4 * CN_ELEMENT_WORK * (double)rows * (double)C, bn_grad_sums, &job);
  free(params);
  return CN_OK;
}
