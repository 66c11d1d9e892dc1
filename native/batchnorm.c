/* Batch normalization: TF.js's FusedBatchNorm forward, and its gradient as tfjs-core composes it
 * (FusedBatchNorm_grad.ts), in one kernel instead of ~15 full passes over the activation.
 * Both give the bits of the code they replace: the same float32 operations in the same order,
 * and each per-channel sum accumulated in double over the rows in order, as cn_reduce does. The
 * pool splits the sums by channel and the elementwise parts by rows, so the thread count never
 * changes a bit. */
#include <math.h>
#include <stdlib.h>
#include "kernels.h"

/* Channels per part of the per-channel sums (64 bytes of a row). */
#define BN_CHANNEL_BLOCK 16
/* Channels summed at once on the stack. */
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
static void bn_rows(void *ctx, int64_t lo, int64_t hi) {
  const bn_job_t *j = ctx;
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
  const float *dy, *x, *mean, *scale;
  const float *r, *negR, *mhrc; /* rsqrt(var + eps), its negation, -0.5 * r^3 (float32) */
  int64_t rows, C;
  float *dx, *dmean, *dvar, *dscale, *doffset;
  int withDx; /* also write dx in the same pass (the serial case) */
} bn_grad_job_t;

/* dx = (dy * r) * scale: tfjs-core's mul(mul(dy, tile(r)), scale). */
static inline float bn_dx(float dy, float r, float s) { return (dy * r) * s; }

/* The four per-channel sums of channels [c0, c1) (at most BN_CHUNK), each term rounded to
 * float32 as the composed ops round it:
 *   mean:   sum((-r) * (dy * s))          variance: sum((mhrc * (x - m)) * (dy * s))
 *   scale:  sum(dy * ((x - m) * r))       offset:   sum(dy) */
static void bn_grad_chunk(const bn_grad_job_t *j, int64_t c0, int64_t c1) {
  double sm[BN_CHUNK] = {0}, sv[BN_CHUNK] = {0}, ss[BN_CHUNK] = {0}, so[BN_CHUNK] = {0};
  const int64_t C = j->C, w = c1 - c0;
  const float *restrict m = j->mean + c0, *restrict r = j->r + c0, *restrict nr = j->negR + c0,
              *restrict h = j->mhrc + c0, *restrict s = j->scale ? j->scale + c0 : NULL;
  for (int64_t row = 0; row < j->rows; row++) {
    const float *restrict dy = j->dy + row * C + c0, *restrict x = j->x + row * C + c0;
    for (int64_t c = 0; c < w; c++) {
      const float d = dy[c], sc = s ? s[c] : 1.0f, dys = d * sc, xm = x[c] - m[c];
      sm[c] += (double)(nr[c] * dys);
      sv[c] += (double)((h[c] * xm) * dys);
      ss[c] += (double)(d * (xm * r[c]));
      so[c] += (double)d;
    }
    if (j->withDx) {
      float *restrict dx = j->dx + row * C + c0;
      for (int64_t c = 0; c < w; c++) dx[c] = bn_dx(dy[c], r[c], s ? s[c] : 1.0f);
    }
  }
  for (int64_t c = 0; c < w; c++) {
    j->dmean[c0 + c] = (float)sm[c];
    j->dvar[c0 + c] = (float)sv[c];
    j->dscale[c0 + c] = (float)ss[c];
    j->doffset[c0 + c] = (float)so[c];
  }
}

/* Channel blocks [b0, b1) of BN_CHANNEL_BLOCK channels. */
static void bn_grad_sums(void *ctx, int64_t b0, int64_t b1) {
  const bn_grad_job_t *j = ctx;
  const int64_t end = b1 * BN_CHANNEL_BLOCK < j->C ? b1 * BN_CHANNEL_BLOCK : j->C;
  for (int64_t c = b0 * BN_CHANNEL_BLOCK; c < end; c += BN_CHUNK)
    bn_grad_chunk(j, c, c + BN_CHUNK < end ? c + BN_CHUNK : end);
}

static void bn_grad_dx_rows(void *ctx, int64_t lo, int64_t hi) {
  const bn_grad_job_t *j = ctx;
  const int64_t C = j->C;
  for (int64_t row = lo; row < hi; row++) {
    const float *restrict dy = j->dy + row * C;
    float *restrict dx = j->dx + row * C;
    if (j->scale) for (int64_t c = 0; c < C; c++) dx[c] = bn_dx(dy[c], j->r[c], j->scale[c]);
    else for (int64_t c = 0; c < C; c++) dx[c] = bn_dx(dy[c], j->r[c], 1.0f);
  }
}

int cn_batch_norm_grad(const float *dy, const float *x, const float *mean, const float *var,
                       const float *scale, int64_t rows, int64_t C, float eps, float *dx,
                       float *dmean, float *dvar, float *dscale, float *doffset) {
  float *params = cn_alloc((size_t)(3 * C), sizeof(float));
  if (!params) return CN_ENOMEM;
  float *r = params, *negR = params + C, *mhrc = params + 2 * C;
  for (int64_t c = 0; c < C; c++) {
    r[c] = (float)(1.0 / sqrt((double)(var[c] + eps))); /* rsqrt(add(variance, eps)) */
    negR[c] = r[c] * -1.0f;
    mhrc[c] = ((r[c] * r[c]) * r[c]) * -0.5f;
  }
  bn_grad_job_t job = {dy, x, mean, scale, r, negR, mhrc, rows, C, dx, dmean, dvar, dscale, doffset, 0};
  const double work = CN_ELEMENT_WORK * (double)rows * (double)C;
  const int64_t blocks = (C + BN_CHANNEL_BLOCK - 1) / BN_CHANNEL_BLOCK;
  /* dx is elementwise, so writing it in the sums' pass or in a pass of its own gives the same
   * bits: one pass where one thread does it all, two where the work is split */
  if (cn_threads() == 1 || (cn_range_parts(blocks, 2 * work) == 1 && cn_range_parts(rows, work) == 1)) {
    job.withDx = 1;
    bn_grad_sums(&job, 0, blocks);
  } else {
    cn_parallel_range(blocks, 2 * work, bn_grad_sums, &job);
    cn_parallel_range(rows, work, bn_grad_dx_rows, &job);
  }
  free(params);
  return CN_OK;
}
