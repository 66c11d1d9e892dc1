/* x86 micro-kernels of the portable GEMM, compiled for their ISA by target attributes (the rest
 * of the addon keeps the baseline flags) and used only when the CPU reports the features. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <string.h>
#include "gemm_portable.h"

/* Named accumulators (not an array): gcc keeps an array of vectors in memory across the loop. */
#define ROWS12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define ROWS6(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define ROWS24(X) ROWS12(X) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)

/* 12 x 32: 24 zmm accumulators, two B vectors, A broadcast from memory. */
#define A5_MR 12
#define A5_DECL(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();
#define A5_FMA(i)                                  \
  {                                                \
    const __m512 ai = _mm512_set1_ps(a[i]);        \
    c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);    \
    c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);    \
  }
#define A5_STORE(i)                                                           \
  _mm512_storeu_ps(c + i * ldc, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc), c##i##0)); \
  _mm512_storeu_ps(c + i * ldc + 16, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc + 16), c##i##1));
__attribute__((target("avx512f"))) static void kernel_avx512(int64_t kc, const float *restrict a,
                                                              const float *restrict b,
                                                              float *restrict c, int64_t ldc) {
  ROWS12(A5_DECL)
  for (int64_t k = 0; k < kc; k++, a += A5_MR, b += 32) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
    ROWS12(A5_FMA)
  }
  ROWS12(A5_STORE)
}

/* 24 x 16, for products 16 columns wide or less (conv channels): 24 zmm accumulators, one B
 * vector. Same chain of FMAs per element as the 12 x 32 kernel. */
#define A5N_MR 24
#define A5N_DECL(i) __m512 c##i = _mm512_setzero_ps();
#define A5N_FMA(i) c##i = _mm512_fmadd_ps(_mm512_set1_ps(a[i]), b0, c##i);
#define A5N_STORE(i) _mm512_storeu_ps(c + i * ldc, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc), c##i));
__attribute__((target("avx512f"))) static void kernel_avx512_n16(int64_t kc, const float *restrict a,
                                                                  const float *restrict b,
                                                                  float *restrict c, int64_t ldc) {
  ROWS24(A5N_DECL)
  for (int64_t k = 0; k < kc; k++, a += A5N_MR, b += 16) {
    const __m512 b0 = _mm512_load_ps(b);
    ROWS24(A5N_FMA)
  }
  ROWS24(A5N_STORE)
}

/* 6 x 16: 12 ymm accumulators, two B vectors, one broadcast. */
#define A2_MR 6
#define A2_DECL(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps();
#define A2_FMA(i)                                  \
  {                                                \
    const __m256 ai = _mm256_broadcast_ss(a + i);  \
    c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);    \
    c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);    \
  }
#define A2_STORE(i)                                                           \
  _mm256_storeu_ps(c + i * ldc, _mm256_add_ps(_mm256_loadu_ps(c + i * ldc), c##i##0)); \
  _mm256_storeu_ps(c + i * ldc + 8, _mm256_add_ps(_mm256_loadu_ps(c + i * ldc + 8), c##i##1));
__attribute__((target("avx2,fma"))) static void kernel_avx2(int64_t kc, const float *restrict a,
                                                             const float *restrict b,
                                                             float *restrict c, int64_t ldc) {
  ROWS6(A2_DECL)
  for (int64_t k = 0; k < kc; k++, a += A2_MR, b += 16) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    ROWS6(A2_FMA)
  }
  ROWS6(A2_STORE)
}

static const cn_gemm_kernel_t avx2 = {"avx2", A2_MR, 16, 8, 256, 24 * A2_MR, 2048, kernel_avx2, NULL};
/* An AVX-512 CPU also has AVX2+FMA; same KC, so the narrower tiles give the same bits. */
static const cn_gemm_kernel_t avx512_n16 = {"avx512", A5N_MR, 16, 16, 256, 6 * A5N_MR, 2048, kernel_avx512_n16, &avx2};
static const cn_gemm_kernel_t avx512 = {"avx512", A5_MR, 32, 16, 256, 12 * A5_MR, 2048, kernel_avx512, &avx512_n16};

const cn_gemm_kernel_t *cn_gemm_kernel_x86(const char *name) {
  __builtin_cpu_init();
  const int has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!strcmp(name, "avx512")) return has_avx2 && __builtin_cpu_supports("avx512f") ? &avx512 : NULL;
  if (!strcmp(name, "avx2")) return has_avx2 ? &avx2 : NULL;
  return NULL;
}
#endif
