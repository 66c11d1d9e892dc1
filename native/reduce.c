/* Reductions over the middle axis of [pre, red, post], and softmax. Every output is reduced
 * alone, in a fixed order (sums in double), so splitting the outputs over the pool leaves every
 * bit as on one thread. */
#include <math.h>
#include <string.h>
#include "expf.h"
#include "kernels.h"

/* Sum of n floats in double, in 8 interleaved partial sums (lane k takes elements k, k + 8,
 * ...) added pairwise at the end: a fixed order, and 8 independent adds in flight instead of one
 * chain. */
static inline double sum_f64(const float *x, int64_t n) {
  double acc[8] = {0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) acc[k] += x[j + k];
  for (int k = 0; j < n; j++, k++) acc[k] += x[j];
  return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

/* Columns reduced together on the stack (2 kB of each row, read in order). */
#define REDUCE_CHUNK 512

typedef struct {
  int op;
  const float *x;
  float *out;
  int64_t pre, red, post;
} reduce_job_t;

/* out[p] for p = rows of x [pre, red]: one output per row. */
static void reduce_rows(int op, const float *x, float *out, int64_t lo, int64_t hi, int64_t red) {
  for (int64_t p = lo; p < hi; p++) {
    const float *row = x + p * red;
    if (op == 0 || op == 3) {
      const double s = sum_f64(row, red);
      out[p] = (float)(op == 3 ? s / (double)red : s);
    } else if (op == 4) {
      double s = 1.0;
      for (int64_t j = 0; j < red; j++) s *= row[j];
      out[p] = (float)s;
    } else {
      float m = row[0];
      for (int64_t j = 1; j < red; j++) {
        const float v = row[j];
        if (op == 1 ? (v > m || v != v) : (v < m || v != v)) m = v;
      }
      out[p] = m;
    }
  }
}

/* out[p, c0:c1] of the middle-axis reduction (c1 - c0 <= REDUCE_CHUNK), each column reduced over
 * r in order, sums in double. */
static void reduce_columns(const reduce_job_t *j, int64_t p, int64_t c0, int64_t c1) {
  const int op = j->op;
  const int64_t red = j->red, post = j->post, w = c1 - c0;
  const float *blk = j->x + p * red * post + c0;
  float *o = j->out + p * post + c0;
  if (op == 0 || op == 3 || op == 4) {
    double acc[REDUCE_CHUNK];
    for (int64_t c = 0; c < w; c++) acc[c] = op == 4 ? 1.0 : 0.0;
    for (int64_t r = 0; r < red; r++) {
      const float *row = blk + r * post;
      if (op == 4) for (int64_t c = 0; c < w; c++) acc[c] *= row[c];
      else for (int64_t c = 0; c < w; c++) acc[c] += row[c];
    }
    for (int64_t c = 0; c < w; c++) o[c] = (float)(op == 3 ? acc[c] / (double)red : acc[c]);
    return;
  }
  memcpy(o, blk, sizeof(float) * (size_t)w);
  for (int64_t r = 1; r < red; r++) {
    const float *row = blk + r * post;
    for (int64_t c = 0; c < w; c++) {
      const float v = row[c], m = o[c];
      if (op == 1 ? (v > m || v != v) : (v < m || v != v)) o[c] = v;
    }
  }
}

/* Units [lo, hi): unit u is columns [k * REDUCE_CHUNK, (k + 1) * REDUCE_CHUNK) of p, u = p * per + k. */
static void reduce_units(void *ctx, int64_t lo, int64_t hi) {
  const reduce_job_t *j = ctx;
  if (j->post == 1) { reduce_rows(j->op, j->x, j->out, lo, hi, j->red); return; }
  const int64_t per = (j->post + REDUCE_CHUNK - 1) / REDUCE_CHUNK;
  for (int64_t u = lo; u < hi; u++) {
    const int64_t p = u / per, begin = (u % per) * REDUCE_CHUNK;
    reduce_columns(j, p, begin, begin + REDUCE_CHUNK < j->post ? begin + REDUCE_CHUNK : j->post);
  }
}

/* Every output is reduced alone, in the same order wherever the pool's parts fall. Blocks of up
 * to REDUCE_CHUNK columns go down the rows in memory order: narrower ones (16 columns, to split
 * even one [red, post] block over the pool) read a sliver of every row and ran the bias gradient
 * of a [4096, 256] activation 4x slower. */
int cn_reduce(int op, const float *x, float *out, int64_t pre, int64_t red, int64_t post) {
  if (pre <= 0 || post <= 0) return CN_OK;
  reduce_job_t job = {op, x, out, pre, red, post};
  const int64_t units = post == 1 ? pre : pre * ((post + REDUCE_CHUNK - 1) / REDUCE_CHUNK);
  cn_parallel_range(units, CN_ELEMENT_WORK * (double)pre * (double)red * (double)post, reduce_units, &job);
  return CN_OK;
}

/* Defines `static ATTR void NAME(x, out, lo, hi, cols)`: rows [lo, hi) of softmax, exp(x - max)
 * / sum, NaN rows all NaN as TF.js composes it, on W-lane vectors VF (VI: its int32 vector).
 * The max is exact and the exp lane-wise, the sum is sum_f64's order and the division is per
 * element, so every width gives the same bits. */
#define CN_DEFINE_SOFTMAX_ROWS(NAME, VF, VI, W, EXPF, ATTR)                                      \
  static ATTR void NAME(const float *x, float *out, int64_t lo, int64_t hi, int64_t cols) {     \
    for (int64_t r = lo; r < hi; r++) {                                                         \
      const float *in = x + r * cols;                                                           \
      float *o = out + r * cols;                                                                \
      VF mv, v;                                                                                 \
      VI nan = {0};                                                                             \
      float m = in[0];                                                                          \
      int64_t c = 0;                                                                            \
      if (cols >= W) {                                                                          \
        memcpy(&mv, in, sizeof mv);                                                             \
        for (c = W; c + W <= cols; c += W) {                                                    \
          memcpy(&v, in + c, sizeof v);                                                         \
          const VI gt = v > mv;                                                                 \
          mv = (VF)((gt & (VI)v) | (~gt & (VI)mv));                                             \
          nan |= v != v;                                                                        \
        }                                                                                       \
        nan |= mv != mv;                                                                        \
        m = mv[0];                                                                              \
        for (int k = 1; k < W; k++) m = mv[k] > m ? mv[k] : m;                                  \
      }                                                                                         \
      int anyNaN = m != m;                                                                      \
      for (int k = 0; k < W; k++) anyNaN |= nan[k] != 0;                                        \
      for (; c < cols; c++) { m = in[c] > m ? in[c] : m; anyNaN |= in[c] != in[c]; }            \
      if (anyNaN) m = NAN;                                                                      \
      for (c = 0; c + W <= cols; c += W) {                                                      \
        memcpy(&v, in + c, sizeof v);                                                           \
        v = EXPF(v - m);                                                                        \
        memcpy(o + c, &v, sizeof v);                                                            \
      }                                                                                         \
      if (c < cols) {                                                                           \
        VF t = {0};                                                                             \
        memcpy(&t, in + c, sizeof(float) * (size_t)(cols - c));                                 \
        t = EXPF(t - m);                                                                        \
        memcpy(o + c, &t, sizeof(float) * (size_t)(cols - c));                                  \
      }                                                                                         \
      const float s = (float)sum_f64(o, cols);                                                  \
      for (c = 0; c < cols; c++) o[c] = o[c] / s;                                               \
    }                                                                                           \
  }

CN_DEFINE_SOFTMAX_ROWS(softmax_rows_generic, cn_v4f, cn_v4i, 4, cn_expf4, )
typedef void (*softmax_rows_fn)(const float *x, float *out, int64_t lo, int64_t hi, int64_t cols);
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
typedef float cn_v16f __attribute__((vector_size(64)));
typedef int32_t cn_v16i __attribute__((vector_size(64)));
typedef uint32_t cn_v16u __attribute__((vector_size(64)));
CN_DEFINE_EXPF(cn_expf16, cn_v16f, cn_v16i, cn_v16u, __attribute__((target("avx512f"))))
CN_DEFINE_SOFTMAX_ROWS(softmax_rows_avx512, cn_v16f, cn_v16i, 16, cn_expf16, __attribute__((target("avx512f"))))
typedef float cn_v8f __attribute__((vector_size(32)));
typedef int32_t cn_v8i __attribute__((vector_size(32)));
typedef uint32_t cn_v8u __attribute__((vector_size(32)));
CN_DEFINE_EXPF(cn_expf8, cn_v8f, cn_v8i, cn_v8u, __attribute__((target("avx2"))))
CN_DEFINE_SOFTMAX_ROWS(softmax_rows_avx2, cn_v8f, cn_v8i, 8, cn_expf8, __attribute__((target("avx2"))))
static softmax_rows_fn pick_softmax_rows(void) {
  if (__builtin_cpu_supports("avx512f")) return softmax_rows_avx512;
  if (__builtin_cpu_supports("avx2")) return softmax_rows_avx2;
  return softmax_rows_generic;
}
#else
static softmax_rows_fn pick_softmax_rows(void) { return softmax_rows_generic; }
#endif

typedef struct {
  const float *x, *y, *dy;
  float *out;
  int64_t cols;
  softmax_rows_fn rows;
} softmax_job_t;

static void softmax_rows(void *ctx, int64_t lo, int64_t hi) {
  const softmax_job_t *j = ctx;
  j->rows(j->x, j->out, lo, hi, j->cols);
}

/* exp costs about as much as ~4 memory-bound element ops */
#define SOFTMAX_ELEMENT_WORK (4 * CN_ELEMENT_WORK)

void cn_softmax(const float *x, float *out, int64_t rows, int64_t cols) {
  static softmax_rows_fn rows_fn; /* set on the calling (JS) thread, before any part runs */
  if (!rows_fn) rows_fn = pick_softmax_rows();
  softmax_job_t job = {x, NULL, NULL, out, cols, rows_fn};
  cn_parallel_range(rows, SOFTMAX_ELEMENT_WORK * (double)rows * (double)cols, softmax_rows, &job);
}

/* Rows [lo, hi) of softmax's gradient dy * y - sum(dy * y) * y, each product rounded to float
 * as tfjs-core's composition of Multiply, Sum, Multiply and Sub does (compiled for AVX-512 too:
 * the same operations per element, the same bits). */
#define CN_DEFINE_SOFTMAX_GRAD_ROWS(NAME, ATTR)                                                  \
  static ATTR void NAME(const softmax_job_t *j, int64_t lo, int64_t hi) {                       \
    const int64_t cols = j->cols;                                                               \
    for (int64_t r = lo; r < hi; r++) {                                                         \
      const float *restrict y = j->y + r * cols, *restrict dy = j->dy + r * cols;               \
      float *restrict o = j->out + r * cols;                                                    \
      for (int64_t c = 0; c < cols; c++) o[c] = dy[c] * y[c];                                   \
      const float s = (float)sum_f64(o, cols);                                                  \
      for (int64_t c = 0; c < cols; c++) o[c] = o[c] - s * y[c];                                \
    }                                                                                           \
  }

CN_DEFINE_SOFTMAX_GRAD_ROWS(softmax_grad_generic, )
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
CN_DEFINE_SOFTMAX_GRAD_ROWS(softmax_grad_avx512, __attribute__((target("avx512f"))))
#endif

static void softmax_grad_rows(void *ctx, int64_t lo, int64_t hi) {
  const softmax_job_t *j = ctx;
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f")) { softmax_grad_avx512(j, lo, hi); return; }
#endif
  softmax_grad_generic(j, lo, hi);
}

void cn_softmax_grad(const float *y, const float *dy, float *dx, int64_t rows, int64_t cols) {
  softmax_job_t job = {NULL, y, dy, dx, cols, NULL};
  cn_parallel_range(rows, 3 * CN_ELEMENT_WORK * (double)rows * (double)cols, softmax_grad_rows, &job);
}
