/* GEMM for the native backend: OpenBLAS cblas_sgemm when built with CONDENSE_OPENBLAS,
 * else a portable cache-blocked GEMM written so that gcc -O3 auto-vectorizes its inner loop. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#ifdef CONDENSE_OPENBLAS
#include <cblas.h>
extern void openblas_set_num_threads(int);
extern char *openblas_get_config(void);

/* One thread by default: OpenBLAS's results change in the last bits with the thread count, and
 * a recipe's numbers must not depend on the machine's cores. */
void cn_blas_init(void) { openblas_set_num_threads(1); }
int cn_blas_set_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); return n < 1 ? 1 : n; }

const char *cn_blas_name(void) {
  static char name[96];
  if (!name[0]) {
    const char *cfg = openblas_get_config();
    /* "OpenBLAS 0.3.21 DYNAMIC_ARCH ..." -> "openblas 0.3.21" */
    const char *v = cfg ? strchr(cfg, ' ') : NULL;
    size_t len = 0;
    if (v) { v++; while (v[len] && v[len] != ' ' && len < 40) len++; }
    strcpy(name, "openblas ");
    if (v) strncat(name, v, len); else strcat(name, "unknown");
  }
  return name;
}

extern char *openblas_get_corename(void);
const char *cn_blas_core(void) {
  const char *core = openblas_get_corename();
  return core ? core : "unknown";
}

int cn_sgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
             const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
             float *C, int64_t ldc) {
  if (M == 0 || N == 0) return CN_OK;
  if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX || lda > INT32_MAX || ldb > INT32_MAX ||
      ldc > INT32_MAX)
    return CN_ETOOBIG;
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha, A, (int)lda,
              B, (int)ldb, beta, C, (int)ldc);
  return CN_OK;
}

#else /* portable */

void cn_blas_init(void) {}
int cn_blas_set_threads(int n) { (void)n; return 1; } /* the portable GEMM is single-threaded */
const char *cn_blas_name(void) { return "portable"; }
const char *cn_blas_core(void) { return ""; }

#define MC 64
#define KC 256
#define NC 1024

int cn_sgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
             const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
             float *C, int64_t ldc) {
  if (M == 0 || N == 0) return CN_OK;
  for (int64_t i = 0; i < M; i++) {
    float *c = C + i * ldc;
    if (beta == 0.0f) memset(c, 0, (size_t)N * sizeof(float));
    else if (beta != 1.0f) for (int64_t j = 0; j < N; j++) c[j] *= beta;
  }
  if (K == 0) return CN_OK;
  float *pa = cn_alloc(MC * KC, sizeof(float));
  float *pb = cn_alloc(KC * NC, sizeof(float));
  if (!pa || !pb) { free(pa); free(pb); return CN_ENOMEM; }
  for (int64_t j0 = 0; j0 < N; j0 += NC) {
    int64_t nc = N - j0 < NC ? N - j0 : NC;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      int64_t kc = K - k0 < KC ? K - k0 : KC;
      /* pack op(B)[k0:k0+kc, j0:j0+nc] row-major */
      for (int64_t k = 0; k < kc; k++) {
        float *dst = pb + k * nc;
        if (!transB) memcpy(dst, B + (k0 + k) * ldb + j0, (size_t)nc * sizeof(float));
        else for (int64_t j = 0; j < nc; j++) dst[j] = B[(j0 + j) * ldb + k0 + k];
      }
      for (int64_t i0 = 0; i0 < M; i0 += MC) {
        int64_t mc = M - i0 < MC ? M - i0 : MC;
        for (int64_t i = 0; i < mc; i++)
          for (int64_t k = 0; k < kc; k++)
            pa[i * kc + k] = alpha * (transA ? A[(k0 + k) * lda + i0 + i]
                                             : A[(i0 + i) * lda + k0 + k]);
        for (int64_t i = 0; i < mc; i++) {
          float *restrict c = C + (i0 + i) * ldc + j0;
          const float *arow = pa + i * kc;
          int64_t k = 0;
          for (; k + 4 <= kc; k += 4) {
            const float a0 = arow[k], a1 = arow[k + 1], a2 = arow[k + 2], a3 = arow[k + 3];
            const float *restrict b0 = pb + k * nc, *restrict b1 = b0 + nc,
                                  *restrict b2 = b1 + nc, *restrict b3 = b2 + nc;
            for (int64_t j = 0; j < nc; j++)
              c[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
          }
          for (; k < kc; k++) {
            const float a0 = arow[k];
            const float *restrict b0 = pb + k * nc;
            for (int64_t j = 0; j < nc; j++) c[j] += a0 * b0[j];
          }
        }
      }
    }
  }
  free(pa);
  free(pb);
  return CN_OK;
}
#endif
