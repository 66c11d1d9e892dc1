/* exp in float32 on 4-lane vectors (GCC/clang vector extensions: SSE2 on x86-64, NEON on arm64,
 * scalar code elsewhere); libm's exp, in double, is ~10x slower per element and stays scalar, and
 * gcc does not vectorize a scalar version's clamps under -ftrapping-math. Plain float arithmetic
 * in a fixed order (the build has -ffp-contract=off: no FMA), so every build gives the same bits:
 * within ~1 ulp of exp (checked over every float), subnormal results included, exp(+inf) = inf,
 * exp(-inf) = 0, NaN -> NaN. */
#ifndef CONDENSE_EXPF_H
#define CONDENSE_EXPF_H
#include <stdint.h>
#include <string.h>

typedef float cn_v4f __attribute__((vector_size(16)));
typedef int32_t cn_v4i __attribute__((vector_size(16)));
typedef uint32_t cn_v4u __attribute__((vector_size(16)));

/* Defines `static inline ATTR VF NAME(VF x)`, exp on every lane of a float vector type VF (VI,
 * VU: the int32 / uint32 vectors of its width): one body for every vector width, so a wider ISA
 * gives the same bits lane by lane. */
#define CN_DEFINE_EXPF(NAME, VF, VI, VU, ATTR)                                                   \
  static inline ATTR VF NAME(VF x) {                                                            \
    const VF zero = {0};                                                                        \
    /* beyond these the result is inf (e^88.8 > FLT_MAX) or 0 (e^-104 < half the least          \
     * subnormal); NaN compares false and passes through */                                    \
    VI m = x > 88.8f;                                                                           \
    x = (VF)((m & (VI)(zero + 88.8f)) | (~m & (VI)x));                                          \
    m = x < -104.0f;                                                                            \
    x = (VF)((m & (VI)(zero - 104.0f)) | (~m & (VI)x));                                         \
    /* x = n ln2 + r, |r| <= ln2 / 2: n rounded to nearest by the 1.5 * 2^23 shifter; ln2 in   \
     * two parts (the first has 9 bits, so n * 0.693359375 is exact) */                        \
    const VF t = x * 1.44269504088896341f + 12582912.0f;                                       \
    const VF n = t - 12582912.0f;                                                               \
    const VF r = (x - n * 0.693359375f) - n * -2.12194440e-4f;                                  \
    /* e^r = 1 + r + r^2 P(r): minimax coefficients (Cephes' expf) */                          \
    const VF p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +     \
                   4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f;            \
    const VF er = (p * (r * r) + r) + 1.0f;                                                     \
    /* 2^n as two normal powers 2^h 2^(n - h), h = floor(n / 2): n spans [-150, 128], past     \
     * the exponent range of one float; the last product rounds once, to a subnormal if need   \
     * be. n is t's low mantissa bits (NaN lanes get garbage, but er is NaN there already) */  \
    const VI ni = (VI)((VU)t - 0x4B400000u), h = ni >> 1;                                       \
    return er * (VF)((VU)(h + 127) << 23) * (VF)((VU)(ni - h + 127) << 23);                     \
  }

CN_DEFINE_EXPF(cn_expf4, cn_v4f, cn_v4i, cn_v4u, )

/* out[i] = exp(x[i] - sub) for i < n (out may be x); the tail goes through one padded vector, so
 * every element gets the same bits wherever it sits. */
static inline void cn_exp_sub(const float *x, float sub, float *out, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    cn_v4f v;
    memcpy(&v, x + i, sizeof v);
    v = cn_expf4(v - sub);
    memcpy(out + i, &v, sizeof v);
  }
  if (i < n) {
    cn_v4f v = {0, 0, 0, 0};
    memcpy(&v, x + i, sizeof(float) * (size_t)(n - i));
    v = cn_expf4(v - sub);
    memcpy(out + i, &v, sizeof(float) * (size_t)(n - i));
  }
}

static inline float cn_expf(float x) {
  const cn_v4f v = {x, 0, 0, 0};
  return cn_expf4(v)[0];
}
#endif
