/* Batch normalization in training (tf.layers' batchNormalization with training: true) as one
 * forward and one backward kernel, where tfjs-core composes tf.moments (Mean, Sub, Square, Mean)
 * and FusedBatchNorm and their gradients into ~25 passes over the activation.
 *
 * forward  (x [rows, C]): mean, var = the per-channel mean and (biased) variance over the rows
 *          (summed shifted by the first row),
 *          y = (x - mean) * (scale / sqrt(var + eps)) + offset;           2 passes over x.
 * backward: the total derivative through mean and var, with the gradients dmean and dvar that
 *          reach the mean and var outputs from elsewhere (zeros in tf.layers):
 *          dx = k dy + (x - mean) B + A per channel, k = scale r, r = 1 / sqrt(var + eps),
 *          B = 2 dvar / N - k r^2 sum(dy (x - mean)) / N, A = dmean / N - k sum(dy) / N;
 *          dscale = r sum(dy (x - mean)), doffset = sum(dy);               2 passes over dy, x.
 * Per-channel sums run in double over parts of rows fixed by the shape (cn_range_parts), added
 * in part order, so the thread count never changes a bit. */
#include <math.h>
#include <stdlib.h>
#include "kernels.h"

typedef struct {
  const float *x, *dy, *mean; /* dy, mean: the backward's sums only */
  int64_t rows, C;
  int parts;
  double *partial; /* [parts][2][C] */
} sums_job_t;

/* Forward: sum(x - x0) and sum((x - x0)^2) of rows [lo, hi) into s and q, x0 the first row:
 * shifted so that the variance, q / n - (s / n)^2, does not cancel away when |mean| >> std. */
static inline __attribute__((always_inline)) void moments_body(const sums_job_t *j, int64_t lo, int64_t hi,
                                                               double *restrict s, double *restrict q) {
  const int64_t C = j->C;
  const float *restrict x0 = j->x;
  for (int64_t r = lo; r < hi; r++) {
    const float *restrict xr = j->x + r * C;
    for (int64_t c = 0; c < C; c++) {
      const double v = (double)xr[c] - (double)x0[c];
      s[c] += v;
      q[c] += v * v;
    }
  }
}

/* Backward: sum(dy) and sum(dy * (x - mean)) of rows [lo, hi) into s and q. */
static inline __attribute__((always_inline)) void grad_sums_body(const sums_job_t *j, int64_t lo, int64_t hi,
                                                                 double *restrict s, double *restrict q) {
  const int64_t C = j->C;
  const float *restrict m = j->mean;
  for (int64_t r = lo; r < hi; r++) {
    const float *restrict xr = j->x + r * C, *restrict dr = j->dy + r * C;
    for (int64_t c = 0; c < C; c++) {
      const double d = (double)dr[c];
      s[c] += d;
      q[c] += d * ((double)xr[c] - (double)m[c]);
    }
  }
}

/* The bodies are inlined into a generic and an AVX2 variant: the same operations 4 doubles or
 * 8 floats wide (no FMA: -ffp-contract=off), so the same bits. */
static void moments_generic(const sums_job_t *j, int64_t lo, int64_t hi, double *s, double *q) { moments_body(j, lo, hi, s, q); }
static void grad_sums_generic(const sums_job_t *j, int64_t lo, int64_t hi, double *s, double *q) { grad_sums_body(j, lo, hi, s, q); }
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void moments_avx2(const sums_job_t *j, int64_t lo, int64_t hi, double *s, double *q) {
  moments_body(j, lo, hi, s, q);
}
__attribute__((target("avx2"))) static void grad_sums_avx2(const sums_job_t *j, int64_t lo, int64_t hi, double *s, double *q) {
  grad_sums_body(j, lo, hi, s, q);
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
static int has_avx2(void) { return __builtin_cpu_supports("avx2"); }
#endif

static void sums_part(void *ctx, int part) {
  const sums_job_t *j = ctx;
  int64_t lo, hi;
  cn_part_range(j->rows, j->parts, part, 1, &lo, &hi);
  double *s = j->partial + (size_t)part * 2 * (size_t)j->C, *q = s + j->C;
  for (int64_t c = 0; c < j->C; c++) s[c] = q[c] = 0.0;
#if defined(__x86_64__) && defined(__GNUC__)
  if (has_avx2()) {
    if (j->dy) grad_sums_avx2(j, lo, hi, s, q);
    else moments_avx2(j, lo, hi, s, q);
    return;
  }
#endif
  if (j->dy) grad_sums_generic(j, lo, hi, s, q);
  else moments_generic(j, lo, hi, s, q);
}

/* The two per-channel sums over all rows into s and q [C]; dy NULL: the forward's. */
static int channel_sums(const float *x, const float *dy, const float *mean, int64_t rows, int64_t C,
                        double *s, double *q) {
  const int parts = cn_range_parts(rows, CN_ELEMENT_WORK * (double)rows * (double)C);
  sums_job_t job = {x, dy, mean, rows, C, parts, cn_alloc((size_t)parts * 2 * (size_t)C, sizeof(double))};
  if (!job.partial) return CN_ENOMEM;
  cn_parallel(parts, sums_part, &job);
  for (int64_t c = 0; c < C; c++) s[c] = q[c] = 0.0;
  for (int p = 0; p < parts; p++) {
    const double *ps = job.partial + (size_t)p * 2 * (size_t)C, *pq = ps + C;
    for (int64_t c = 0; c < C; c++) {
      s[c] += ps[c];
      q[c] += pq[c];
    }
  }
  free(job.partial);
  return CN_OK;
}

typedef struct {
  const float *in, *x, *mean, *k, *b, *a; /* out = k * in + (x - mean) * b + a; in == x: the forward */
  int64_t C;
  float *out;
} affine_job_t;

static inline __attribute__((always_inline)) void affine_body(const affine_job_t *j, int64_t lo, int64_t hi) {
  const int64_t C = j->C;
  const float *restrict m = j->mean, *restrict k = j->k, *restrict b = j->b, *restrict a = j->a;
  for (int64_t r = lo; r < hi; r++) {
    const float *restrict in = j->in + r * C, *restrict xr = j->x + r * C;
    float *restrict o = j->out + r * C;
    if (j->in == j->x) {
      for (int64_t c = 0; c < C; c++) o[c] = (xr[c] - m[c]) * b[c] + a[c];
    } else {
      for (int64_t c = 0; c < C; c++) o[c] = (k[c] * in[c] + (xr[c] - m[c]) * b[c]) + a[c];
    }
  }
}

static void affine_generic(const affine_job_t *j, int64_t lo, int64_t hi) { affine_body(j, lo, hi); }
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void affine_avx2(const affine_job_t *j, int64_t lo, int64_t hi) { affine_body(j, lo, hi); }
#endif

static void affine_rows(void *ctx, int64_t lo, int64_t hi) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (has_avx2()) { affine_avx2(ctx, lo, hi); return; }
#endif
  affine_generic(ctx, lo, hi);
}

static void run_affine(const affine_job_t *job, int64_t rows) {
  cn_parallel_range(rows, CN_ELEMENT_WORK * (double)rows * (double)job->C, affine_rows, (void *)job);
}

int cn_bn_train(const float *x, int64_t rows, int64_t C, const float *scale, const float *offset,
                double eps, float *y, float *mean, float *var) {
  double *sums = cn_alloc((size_t)(2 * C), sizeof(double));
  float *coef = cn_alloc((size_t)(2 * C), sizeof(float));
  if (!sums || !coef || channel_sums(x, NULL, NULL, rows, C, sums, sums + C) != CN_OK) {
    free(sums);
    free(coef);
    return CN_ENOMEM;
  }
  float *ks = coef, *zeros = coef + C;
  const double n = (double)rows;
  for (int64_t c = 0; c < C; c++) {
    const double d = sums[c] / n, v = sums[C + c] / n - d * d;
    mean[c] = (float)((double)x[c] + d);
    var[c] = (float)(v > 0.0 ? v : 0.0);
    /* from the float32 variance, as the backward computes it */
    ks[c] = (float)((scale ? (double)scale[c] : 1.0) / sqrt((double)var[c] + eps));
    zeros[c] = offset ? offset[c] : 0.0f;
  }
  affine_job_t job = {x, x, mean, NULL, ks, zeros, C, y};
  run_affine(&job, rows);
  free(sums);
  free(coef);
  return CN_OK;
}

int cn_bn_train_grad(const float *dy, const float *x, int64_t rows, int64_t C, const float *scale,
                     const float *mean, const float *var, const float *dmean, const float *dvar,
                     double eps, float *dx, float *dscale, float *doffset) {
  double *sums = cn_alloc((size_t)(2 * C), sizeof(double));
  float *coef = cn_alloc((size_t)(3 * C), sizeof(float));
  if (!sums || !coef || channel_sums(x, dy, mean, rows, C, sums, sums + C) != CN_OK) {
    free(sums);
    free(coef);
    return CN_ENOMEM;
  }
  float *k = coef, *b = coef + C, *a = coef + 2 * C;
  const double n = (double)rows;
  for (int64_t c = 0; c < C; c++) {
    const double r = 1.0 / sqrt((double)var[c] + eps), kc = (scale ? (double)scale[c] : 1.0) * r;
    const double sdy = sums[c], sdyx = sums[C + c];
    doffset[c] = (float)sdy;
    dscale[c] = (float)(r * sdyx);
    k[c] = (float)kc;
    b[c] = (float)((2.0 * (double)dvar[c] - kc * r * r * sdyx) / n);
    a[c] = (float)(((double)dmean[c] - kc * sdy) / n);
  }
  affine_job_t job = {dy, x, mean, k, b, a, C, dx};
  run_affine(&job, rows);
  free(sums);
  free(coef);
  return CN_OK;
}
