/* The GEMM both cores run: C is cut into row or column panels and each panel is one
 * single-threaded GEMM call (OpenBLAS's sgemm, or the portable GEMM) on the pool's threads.
 *
 * The cut depends only on M, N and K (never on the thread count), so every element of C is
 * computed by the same call with the same arguments on 1 thread or on 8: bit-identical results.
 * OpenBLAS's own threading is not used for this reason: it splits K for some shapes, and its
 * results then change in the last bits with the thread count. */
#include "kernels.h"

#define GEMM_MAX_PARTS 8
/* Panel edges fall on multiples of this (whole micro-kernel tiles: 16 is a multiple of every
 * kernel's NR and close to a multiple of its MR). */
#define GEMM_ALIGN 16
/* Panels are at least this wide: narrower ones cost more than they save. A weight gradient
 * (A transposed, K = batch rows, e.g. 256 x 64 x 4096) cut into 8 panels of 32 took 2.2x the
 * time of one call on one thread (each panel reads a strided sliver of A and packs all of B). */
#define GEMM_MIN_PANEL 128

typedef struct {
  cn_sgemm_fn gemm;
  int transA, transB, rows; /* rows: cut C's rows (else its columns) */
  int64_t M, N, K, lda, ldb, ldc;
  float alpha, beta;
  const float *A, *B;
  float *C;
  int parts;
  int status[GEMM_MAX_PARTS];
} gemm_job_t;

static void gemm_part(void *ctx, int part) {
  gemm_job_t *j = ctx;
  int64_t lo, hi;
  cn_part_range(j->rows ? j->M : j->N, j->parts, part, GEMM_ALIGN, &lo, &hi);
  if (hi <= lo) { j->status[part] = CN_OK; return; }
  if (j->rows) /* rows lo..hi of op(A) and of C */
    j->status[part] = j->gemm(j->transA, j->transB, hi - lo, j->N, j->K, j->alpha,
                              j->A + (j->transA ? lo : lo * j->lda), j->lda, j->B, j->ldb, j->beta,
                              j->C + lo * j->ldc, j->ldc);
  else /* columns lo..hi of op(B) and of C */
    j->status[part] = j->gemm(j->transA, j->transB, j->M, hi - lo, j->K, j->alpha, j->A, j->lda,
                              j->B + (j->transB ? lo * j->ldb : lo), j->ldb, j->beta, j->C + lo,
                              j->ldc);
}

int cn_gemm_parts(int64_t M, int64_t N, int64_t K) {
  const int64_t cut = M >= N ? M : N;
  const int most = (int)((cut + GEMM_MIN_PANEL - 1) / GEMM_MIN_PANEL);
  return cn_parts_for(2.0 * (double)M * (double)N * (double)K,
                      most < GEMM_MAX_PARTS ? most : GEMM_MAX_PARTS);
}

int cn_sgemm_parallel(cn_sgemm_fn gemm, int transA, int transB, int64_t M, int64_t N, int64_t K,
                      float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                      float beta, float *C, int64_t ldc) {
  const int parts = cn_gemm_parts(M, N, K);
  if (parts == 1) return gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  gemm_job_t job = {gemm, transA, transB, M >= N, M, N, K, lda, ldb, ldc, alpha, beta, A, B, C, parts, {0}};
  cn_parallel(parts, gemm_part, &job);
  for (int p = 0; p < parts; p++)
    if (job.status[p] != CN_OK) return job.status[p];
  return CN_OK;
}

typedef struct {
  cn_sgemm_fn gemm;
  int transA, transB;
  int64_t batchA, batchB, M, N, K;
  const float *a, *b;
  float *out;
  int status; /* a failing item's status (any of them), else CN_OK */
} batch_job_t;

static void batch_items(void *ctx, int64_t lo, int64_t hi) {
  batch_job_t *j = ctx;
  const int64_t M = j->M, N = j->N, K = j->K;
  for (int64_t i = lo; i < hi; i++) {
    const int rc = j->gemm(j->transA, j->transB, M, N, K, 1.0f, j->a + (i % j->batchA) * M * K,
                           j->transA ? M : K, j->b + (i % j->batchB) * K * N, j->transB ? K : N,
                           0.0f, j->out + i * M * N, N);
    if (rc != CN_OK) __atomic_store_n(&j->status, rc, __ATOMIC_RELAXED);
  }
}

/* Products too small to cut (one panel each, as cn_sgemm_parallel would run them: the same
 * bits) spread over the pool by items; larger ones are cut one after the other. */
int cn_sgemm_batched(cn_sgemm_fn gemm, int transA, int transB, int64_t batch, int64_t batchA,
                     int64_t batchB, int64_t M, int64_t N, int64_t K, const float *a,
                     const float *b, float *out) {
  if (cn_gemm_parts(M, N, K) > 1) {
    for (int64_t i = 0; i < batch; i++) {
      const int rc = cn_sgemm_parallel(gemm, transA, transB, M, N, K, 1.0f, a + (i % batchA) * M * K,
                                       transA ? M : K, b + (i % batchB) * K * N, transB ? K : N,
                                       0.0f, out + i * M * N, N);
      if (rc != CN_OK) return rc;
    }
    return CN_OK;
  }
  batch_job_t job = {gemm, transA, transB, batchA, batchB, M, N, K, a, b, out, CN_OK};
  cn_parallel_range(batch, 2.0 * (double)batch * (double)M * (double)N * (double)K, batch_items, &job);
  return job.status;
}
