/* GEMM for the native backend: OpenBLAS cblas_sgemm when built with CONDENSE_OPENBLAS, else the
 * portable GEMM of gemm_portable.c (packed panels, micro-kernels picked by CPU features). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#ifdef CONDENSE_OPENBLAS
#include <cblas.h>
extern void openblas_set_num_threads(int);
extern char *openblas_get_config(void);

/* OpenBLAS runs single-threaded (its results change in the last bits with its thread count, and
 * a recipe's numbers must not depend on the machine's cores); gemm_parallel.c uses both cores by
 * calling it on panels of C from the pool's threads. */
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

int cn_sgemm_serial(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
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
/* The micro-kernel in use: like OpenBLAS's kernel set, it changes the last bits. */
const char *cn_blas_core(void) { return cn_gemm_kernel_name(); }

int cn_sgemm_serial(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                    const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                    float *C, int64_t ldc) {
  return cn_sgemm_portable_serial(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
#endif

int cn_sgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
             const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
             float *C, int64_t ldc) {
  return cn_sgemm_parallel(cn_sgemm_serial, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int cn_sgemm_portable(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                      const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                      float *C, int64_t ldc) {
  return cn_sgemm_parallel(cn_sgemm_portable_serial, transA, transB, M, N, K, alpha, A, lda, B,
                           ldb, beta, C, ldc);
}
