/* Layer normalization over the last axis of x [rows, C] (tf.layers.layerNormalization's default
 * axis) in one pass per row, and its gradient in one more: what tfjs-layers composes from
 * moments, four Tiles and FusedBatchNorm (and their gradients, some twenty kernels). Rows are
 * independent, so they go to the pool by ranges; the per-channel parameter gradients are summed
 * over rows in order, on one thread. Sums in double. */
#include <math.h>
#include <stdlib.h>
#include "kernels.h"

/* Row sums in double in 8 interleaved lanes (a fixed order; one chain of dependent adds per row
 * made the kernels latency-bound): sum of a[c] and, when b, of a[c] * b[c] rounded to float. */
#define LANES 8
static inline double lane_total(const double *acc) {
  return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

typedef struct {
  const float *x, *gamma, *beta, *dy, *mean, *rstd;
  float *y, *meanOut, *rstdOut;
  int64_t C;
  float eps;
} ln_job_t;

static void ln_rows(void *ctx, int64_t lo, int64_t hi) {
  const ln_job_t *j = ctx;
  const int64_t C = j->C;
  for (int64_t r = lo; r < hi; r++) {
    const float *restrict x = j->x + r * C;
    float *restrict y = j->y + r * C;
    double acc[LANES] = {0};
    for (int64_t c = 0; c < C; c++) acc[c % LANES] += x[c];
    const float mean = (float)(lane_total(acc) / (double)C);
    double vacc[LANES] = {0};
    for (int64_t c = 0; c < C; c++) { const float d = x[c] - mean; vacc[c % LANES] += d * d; }
    const float rstd = (float)(1.0 / sqrt(lane_total(vacc) / (double)C + (double)j->eps));
    for (int64_t c = 0; c < C; c++) y[c] = ((x[c] - mean) * rstd) * j->gamma[c] + j->beta[c];
    j->meanOut[r] = mean;
    j->rstdOut[r] = rstd;
  }
}

void cn_layer_norm(const float *x, const float *gamma, const float *beta, int64_t rows, int64_t C,
                   float eps, float *y, float *mean, float *rstd) {
  ln_job_t job = {x, gamma, beta, NULL, NULL, NULL, y, mean, rstd, C, eps};
  cn_parallel_range(rows, 4 * CN_ELEMENT_WORK * (double)rows * (double)C, ln_rows, &job);
}

/* dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy gamma, xhat = (x - mean) rstd */
static void ln_grad_rows(void *ctx, int64_t lo, int64_t hi) {
  const ln_job_t *j = ctx;
  const int64_t C = j->C;
  for (int64_t r = lo; r < hi; r++) {
    const float *restrict x = j->x + r * C, *restrict dy = j->dy + r * C;
    float *restrict dx = j->y + r * C;
    const float mean = j->mean[r], rstd = j->rstd[r];
    double s1[LANES] = {0}, s2[LANES] = {0};
    for (int64_t c = 0; c < C; c++) {
      const float g = dy[c] * j->gamma[c], xhat = (x[c] - mean) * rstd;
      s1[c % LANES] += g;
      s2[c % LANES] += g * xhat;
    }
    const float m1 = (float)(lane_total(s1) / (double)C), m2 = (float)(lane_total(s2) / (double)C);
    for (int64_t c = 0; c < C; c++) {
      const float g = dy[c] * j->gamma[c], xhat = (x[c] - mean) * rstd;
      dx[c] = rstd * ((g - m1) - xhat * m2);
    }
  }
}

int cn_layer_norm_grad(const float *dy, const float *x, const float *mean, const float *rstd,
                       const float *gamma, int64_t rows, int64_t C, float *dx, float *dgamma,
                       float *dbeta) {
  ln_job_t job = {x, gamma, NULL, dy, mean, rstd, dx, NULL, NULL, C, 0.0f};
  cn_parallel_range(rows, 6 * CN_ELEMENT_WORK * (double)rows * (double)C, ln_grad_rows, &job);
  double *acc = cn_calloc((size_t)(2 * C), sizeof(double));
  if (!acc) return CN_ENOMEM;
  double *sg = acc, *sb = acc + C;
  for (int64_t r = 0; r < rows; r++) {
    const float *restrict xr = x + r * C, *restrict d = dy + r * C;
    const float m = mean[r], s = rstd[r];
    for (int64_t c = 0; c < C; c++) {
      sg[c] += d[c] * ((xr[c] - m) * s);
      sb[c] += d[c];
    }
  }
  for (int64_t c = 0; c < C; c++) { dgamma[c] = (float)sg[c]; dbeta[c] = (float)sb[c]; }
  free(acc);
  return CN_OK;
}
