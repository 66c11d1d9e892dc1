/* Unary elementwise ops and the fused bias + activation, on the thread pool for large tensors
 * (4096-element blocks: each element is computed alike wherever the cut falls). */
#include <math.h>
#include <string.h>
#include "expf.h"
#include "kernels.h"

/* ---------------- unary ops ---------------- */

static const float SOFTPLUS_THRESHOLD = -13.942385152878742f; /* log(2^-23) + 2 */

static inline float unary1(int op, float x, float p0, float p1) {
  switch (op) {
    case CN_RELU: return x != x ? x : (x < 0.0f ? 0.0f : x);
    case CN_RELU6: return x != x ? x : (x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x));
    case CN_STEP: return x != x ? x : (x > 0.0f ? 1.0f : p0);
    case CN_EXP: return cn_expf(x);
    case CN_LOG: return (float)log((double)x);
    case CN_SQRT: return sqrtf(x);
    case CN_RSQRT: return (float)(1.0 / sqrt((double)x));
    case CN_SIGMOID: return (float)(1.0 / (1.0 + exp(-(double)x)));
    case CN_TANH: return (float)tanh((double)x);
    case CN_SQUARE: return x * x;
    case CN_NEG: return -x;
    case CN_ABS: return fabsf(x);
    case CN_RECIPROCAL: return 1.0f / x;
    case CN_SOFTPLUS: {
      const double e = exp((double)x);
      if (x < SOFTPLUS_THRESHOLD) return (float)e;
      if (x > -SOFTPLUS_THRESHOLD) return x;
      return (float)log(1.0 + e);
    }
    case CN_ELU: return x >= 0.0f ? x : (float)(exp((double)x) - 1.0);
    case CN_LEAKYRELU: return x < 0.0f ? p0 * x : x;
    case CN_CLIP: return x > p1 ? p1 : (x < p0 ? p0 : x);
    case CN_LOG1P: return (float)log1p((double)x);
    case CN_EXPM1: return (float)expm1((double)x);
    default: return x;
  }
}

#define UNARY_LOOP(EXPR) for (int64_t i = 0; i < n; i++) { const float x = in[i]; out[i] = (EXPR); }

static void unary_serial(int op, const float *in, float *out, int64_t n, float p0, float p1) {
  /* no restrict: cn_bias_act runs it in place */
  /* the cheap ops get their own loops so gcc vectorizes them */
  switch (op) {
    case CN_SQUARE: UNARY_LOOP(x * x); return;
    case CN_NEG: UNARY_LOOP(-x); return;
    case CN_ABS: UNARY_LOOP(fabsf(x)); return;
    case CN_SQRT: UNARY_LOOP(sqrtf(x)); return;
    case CN_RSQRT: UNARY_LOOP((float)(1.0 / sqrt((double)x))); return; /* in double, like TF.js */
    case CN_RECIPROCAL: UNARY_LOOP(1.0f / x); return;
    case CN_EXP: cn_exp_sub(in, 0.0f, out, n); return;
    case CN_RELU: UNARY_LOOP(x < 0.0f ? 0.0f : x); return; /* NaN < 0 is false: NaN kept */
    case CN_RELU6: UNARY_LOOP(x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x)); return;
    case CN_STEP: UNARY_LOOP(x > 0.0f ? 1.0f : (x != x ? x : p0)); return;
    case CN_LEAKYRELU: UNARY_LOOP(x < 0.0f ? p0 * x : x); return;
    case CN_CLIP: UNARY_LOOP(x > p1 ? p1 : (x < p0 ? p0 : x)); return;
    case CN_LINEAR: if (in != out) memcpy(out, in, (size_t)n * sizeof(float)); return;
    default: for (int64_t i = 0; i < n; i++) out[i] = unary1(op, in[i], p0, p1);
  }
}

typedef struct {
  int op;
  const float *in;
  float *out;
  int64_t n;
  float p0, p1;
} unary_job_t;

static void unary_blocks(void *ctx, int64_t lo, int64_t hi) {
  const unary_job_t *j = ctx;
  const int64_t begin = lo * 4096, end = hi * 4096 < j->n ? hi * 4096 : j->n;
  unary_serial(j->op, j->in + begin, j->out + begin, end - begin, j->p0, j->p1);
}

/* In blocks of 4096 elements, so no two threads write the same cache line. */
void cn_unary(int op, const float *in, float *out, int64_t n, float p0, float p1) {
  if (CN_ELEMENT_WORK * (double)n < CN_PARALLEL_MIN_WORK) { unary_serial(op, in, out, n, p0, p1); return; }
  unary_job_t job = {op, in, out, n, p0, p1};
  const int64_t blocks = (n + 4095) / 4096;
  cn_parallel_range(blocks, CN_ELEMENT_WORK * (double)n, unary_blocks, &job);
}

void cn_bias_act(float *out, int64_t rows, int64_t n, const float *bias, int64_t biasLen,
                 int act, float p0) {
  for (int64_t r = 0; r < rows; r++) {
    float *restrict row = out + r * n;
    if (bias) {
      if (biasLen == 1) { const float bv = bias[0]; for (int64_t j = 0; j < n; j++) row[j] += bv; }
      else for (int64_t j = 0; j < n; j++) row[j] += bias[j];
    }
    if (act != CN_LINEAR) unary_serial(act, row, row, n, p0, 0.0f);
  }
}


/* ---------------- gradients of masking ops (and Square's) ---------------- */

typedef struct {
  int op;
  const float *dy, *x;
  float *out;
  int64_t n;
  float lo, hi;
} mask_job_t;

static void mask_grad_blocks(void *ctx, int64_t b0, int64_t b1) {
  const mask_job_t *j = ctx;
  const int64_t begin = b0 * 4096, end = b1 * 4096 < j->n ? b1 * 4096 : j->n;
  const float *restrict dy = j->dy, *restrict x = j->x;
  float *restrict out = j->out;
  const float lo = j->lo, hi = j->hi;
  /* branch-free, so gcc vectorizes them (a mask's branches mispredict on real data) */
  if (j->op == CN_MASK_RELU) /* mul(dy, step(x)) with step(NaN) = NaN, as TF.js's Relu gradient */
    for (int64_t i = begin; i < end; i++) {
      const float xi = x[i], s = xi > 0.0f ? 1.0f : 0.0f;
      out[i] = dy[i] * (xi != xi ? xi : s);
    }
  else if (j->op == CN_MASK_SQUARE) /* mul(dy, mul(x, 2)), as TF.js's Square gradient */
    for (int64_t i = begin; i < end; i++) out[i] = dy[i] * (x[i] * 2.0f);
  else /* where(lo <= x <= hi, dy, 0), as TF.js's ClipByValue gradient */
    for (int64_t i = begin; i < end; i++) {
      const float xi = x[i], d = dy[i];
      out[i] = ((xi >= lo) & (xi <= hi)) ? d : 0.0f;
    }
}

void cn_mask_grad(int op, const float *dy, const float *x, float *out, int64_t n, float lo, float hi) {
  mask_job_t job = {op, dy, x, out, n, lo, hi};
  cn_parallel_range((n + 4095) / 4096, CN_ELEMENT_WORK * (double)n, mask_grad_blocks, &job);
}
