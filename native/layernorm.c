/* Layer normalization over the last axis of x [rows, C] (tf.layers.layerNormalization's default
 * axis) in one pass per row, and its gradient in one more: what tfjs-layers composes from
 * moments, four Tiles and FusedBatchNorm (and their gradients, some twenty kernels). Rows are
 * independent, so they go to the pool by ranges; the per-channel parameter gradients are summed
 * over rows in order, on one thread. Sums in double. */
#include <math.h>
#include <stdlib.h>
#include "kernels.h"

/* Row sums in double in 8 interleaved lanes, lane k taking elements k, k + 8, ... (a fixed
 * order; one chain of dependent adds per row made the kernels latency-bound), of the float
 * value EXPR(c). */
#define LANES 8
#define LANE_SUM(acc, C, EXPR)                                                                  \
  do {                                                                                          \
    int64_t c_ = 0;                                                                             \
    for (; c_ + LANES <= (C); c_ += LANES)                                                      \
      for (int k_ = 0; k_ < LANES; k_++) { const int64_t c = c_ + k_; acc[k_] += (EXPR); }      \
    for (int k_ = 0; c_ < (C); c_++, k_++) { const int64_t c = c_; acc[k_] += (EXPR); }         \
  } while (0)

static inline double lane_total(const double *acc) {
  return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

typedef struct {
  const float *x, *gamma, *beta, *dy, *mean, *rstd;
  float *y, *meanOut, *rstdOut;
  int64_t C;
  float eps;
} ln_job_t;

/* The row kernels, compiled once per ISA below (plain float and double arithmetic in a fixed
 * order: the same bits on each). */
#define LN_ROWS(NAME, ATTR)                                                                     \
  static ATTR void NAME(const ln_job_t *j, int64_t lo, int64_t hi) {                            \
    const int64_t C = j->C;                                                                     \
    const float *restrict gamma = j->gamma, *restrict beta = j->beta;                           \
    for (int64_t r = lo; r < hi; r++) {                                                         \
      const float *restrict x = j->x + r * C;                                                   \
      float *restrict y = j->y + r * C;                                                         \
      double acc[LANES] = {0}, vacc[LANES] = {0};                                               \
      LANE_SUM(acc, C, x[c]);                                                                   \
      const float mean = (float)(lane_total(acc) / (double)C);                                  \
      LANE_SUM(vacc, C, (x[c] - mean) * (x[c] - mean));                                         \
      const float rstd = (float)(1.0 / sqrt(lane_total(vacc) / (double)C + (double)j->eps));    \
      for (int64_t c = 0; c < C; c++) y[c] = ((x[c] - mean) * rstd) * gamma[c] + beta[c];       \
      j->meanOut[r] = mean;                                                                     \
      j->rstdOut[r] = rstd;                                                                     \
    }                                                                                           \
  }

/* dx = rstd (g - mean(g) - xhat mean(g xhat)), g = dy gamma, xhat = (x - mean) rstd */
#define LN_GRAD_ROWS(NAME, ATTR)                                                                \
  static ATTR void NAME(const ln_job_t *j, int64_t lo, int64_t hi) {                            \
    const int64_t C = j->C;                                                                     \
    const float *restrict gamma = j->gamma;                                                     \
    for (int64_t r = lo; r < hi; r++) {                                                         \
      const float *restrict x = j->x + r * C, *restrict dy = j->dy + r * C;                     \
      float *restrict dx = j->y + r * C;                                                        \
      const float mean = j->mean[r], rstd = j->rstd[r];                                         \
      double s1[LANES] = {0}, s2[LANES] = {0};                                                  \
      LANE_SUM(s1, C, dy[c] * gamma[c]);                                                        \
      LANE_SUM(s2, C, (dy[c] * gamma[c]) * ((x[c] - mean) * rstd));                             \
      const float m1 = (float)(lane_total(s1) / (double)C);                                     \
      const float m2 = (float)(lane_total(s2) / (double)C);                                     \
      for (int64_t c = 0; c < C; c++) {                                                         \
        const float g = dy[c] * gamma[c], xhat = (x[c] - mean) * rstd;                          \
        dx[c] = rstd * ((g - m1) - xhat * m2);                                                  \
      }                                                                                         \
    }                                                                                           \
  }

LN_ROWS(ln_rows_generic, )
LN_GRAD_ROWS(ln_grad_rows_generic, )
typedef void (*ln_rows_fn)(const ln_job_t *j, int64_t lo, int64_t hi);
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
LN_ROWS(ln_rows_avx512, __attribute__((target("avx512f"))))
LN_GRAD_ROWS(ln_grad_rows_avx512, __attribute__((target("avx512f"))))
static int has_avx512(void) { return __builtin_cpu_supports("avx512f"); }
#define PICK(generic, avx512) (has_avx512() ? (avx512) : (generic))
#else
#define PICK(generic, avx512) (generic)
#endif

static void ln_rows(void *ctx, int64_t lo, int64_t hi) {
  const ln_job_t *j = ctx;
  PICK(ln_rows_generic, ln_rows_avx512)(j, lo, hi);
}

static void ln_grad_rows(void *ctx, int64_t lo, int64_t hi) {
  const ln_job_t *j = ctx;
  PICK(ln_grad_rows_generic, ln_grad_rows_avx512)(j, lo, hi);
}

void cn_layer_norm(const float *x, const float *gamma, const float *beta, int64_t rows, int64_t C,
                   float eps, float *y, float *mean, float *rstd) {
  ln_job_t job = {x, gamma, beta, NULL, NULL, NULL, y, mean, rstd, C, eps};
  cn_parallel_range(rows, 4 * CN_ELEMENT_WORK * (double)rows * (double)C, ln_rows, &job);
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
