/* Fused optimizer updates: one pass over a variable instead of a dozen elementwise kernels. */
#include <math.h>
#include "kernels.h"

/* Each statement rounds to float exactly where TF.js's Adam rounds (one tensor op each), and the
 * build turns off FMA contraction, so the result is bit-identical to the stock optimizer. With a
 * mask (NULL: none), the new weight is then multiplied by it: the same float product as the
 * Multiply a pruning stage runs after each step, without another pass over the weights. */
void cn_adam(const float *restrict w, const float *restrict m, const float *restrict v,
             const float *restrict g, int64_t n, const cn_adam_t *p, const float *restrict mask,
             float *restrict wOut, float *restrict mOut, float *restrict vOut) {
  const float b1 = p->beta1, omb1 = p->oneMinusBeta1, b2 = p->beta2, omb2 = p->oneMinusBeta2;
  const float c1 = p->oneMinusAccBeta1, c2 = p->oneMinusAccBeta2, eps = p->epsilon,
              negLr = p->negLearningRate;
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float m1 = m[i] * b1, m2 = gi * omb1, mNew = m1 + m2;
    const float gg = gi * gi, v1 = v[i] * b2, v2 = gg * omb2, vNew = v1 + v2;
    const float mHat = mNew / c1, vHat = vNew / c2;
    const float root = sqrtf(vHat), denom = root + eps, ratio = mHat / denom, step = ratio * negLr;
    mOut[i] = mNew;
    vOut[i] = vNew;
    const float wNew = step + w[i];
    wOut[i] = mask ? wNew * mask[i] : wNew;
  }
}
