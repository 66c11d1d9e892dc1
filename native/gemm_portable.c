/* The portable GEMM: what native builds when no BLAS is installed (and what `sgemmPortable`
 * runs in every build). BLIS-style: C is cut into NC-column, KC-deep and MC-row blocks; op(A) and
 * op(B) are packed into MR-row and NR-column panels (zero-padded) and a register-blocked
 * micro-kernel computes each MR x NR tile. The micro-kernel is picked once by CPU features
 * (gemm_x86.c: AVX-512, AVX2+FMA; else the plain C one below), so one binary runs everywhere.
 *
 * Determinism: every C element is C*beta + sum over KC blocks (in order) of a dot product
 * accumulated over k in order, in one register lane; tiles at the edges go through a zeroed
 * buffer but add the same sums. So for a given kernel, the result does not depend on the matrix
 * sizes around an element, memory alignment, or how gemm_parallel.c cuts C into panels.
 * Different kernels (FMA or not) differ in the last bits: cn_gemm_kernel_name() says which ran.
 *
 * Skinny products (a few columns: a conv's output channels, a classifier's classes) waste most
 * of a wide tile, so each call picks the orientation (C, or C^T = op(B)^T op(A)^T written back
 * transposed) and, among the kernels of the selected one's family (avx512 also runs avx2 tiles),
 * the tile that pads least. That changes no bits: every candidate computes each element as the
 * same in-order chain of fused multiply-adds (a*b == b*a exactly; alpha always scales A). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gemm_portable.h"
#include "kernels.h"

/* ---- the plain C micro-kernel (other CPUs, arm64): 4 x 8, auto-vectorized */
#define GEN_MR 4
#define GEN_NR 8
static void kernel_generic(int64_t kc, const float *restrict a, const float *restrict b,
                           float *restrict c, int64_t ldc) {
  float acc[GEN_MR][GEN_NR] = {{0}};
  for (int64_t k = 0; k < kc; k++, a += GEN_MR, b += GEN_NR)
    for (int i = 0; i < GEN_MR; i++)
      for (int j = 0; j < GEN_NR; j++) acc[i][j] += a[i] * b[j];
  for (int i = 0; i < GEN_MR; i++)
    for (int j = 0; j < GEN_NR; j++) c[i * ldc + j] += acc[i][j];
}

static const cn_gemm_kernel_t generic = {"generic", GEN_MR, GEN_NR, 4, 256, 128, 2048, kernel_generic, NULL};
static const cn_gemm_kernel_t *selected;

const cn_gemm_kernel_t *cn_gemm_kernel_find(const char *name) {
  if (!strcmp(name, "generic")) return &generic;
#if defined(__x86_64__) || defined(__i386__)
  const cn_gemm_kernel_t *k = cn_gemm_kernel_x86(name);
  if (k) return k;
#endif
  return NULL;
}

static const cn_gemm_kernel_t *best(void) {
  static const char *order[] = {"avx512", "avx2"};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    const cn_gemm_kernel_t *k = cn_gemm_kernel_find(order[i]);
    if (k) return k;
  }
  return &generic;
}

static const cn_gemm_kernel_t *current(void) {
  if (!selected) {
    const char *forced = getenv("CONDENSE_GEMM_KERNEL");
    selected = forced && *forced ? cn_gemm_kernel_find(forced) : NULL;
    if (!selected) selected = best();
  }
  return selected;
}

const char *cn_gemm_kernel_name(void) { return current()->name; }

const char *cn_gemm_kernel_select(const char *name) {
  if (!strcmp(name, "auto")) { selected = best(); return selected->name; }
  const cn_gemm_kernel_t *k = cn_gemm_kernel_find(name);
  if (!k) return NULL;
  selected = k;
  return k->name;
}

/* op(A)[i0 : i0+mc, k0 : k0+kc] * alpha into MR-row panels: panel p holds, for each k, rows
 * p*MR .. p*MR+MR-1 (zeros past mc). */
static void pack_a(int transA, const float *A, int64_t lda, int64_t i0, int64_t k0, int64_t mc,
                   int64_t kc, float alpha, int mr, float *restrict pa) {
  for (int64_t p = 0; p < mc; p += mr, pa += mr * kc) {
    const int64_t rows = mc - p < mr ? mc - p : mr;
    if (transA) {
      for (int64_t k = 0; k < kc; k++) {
        const float *src = A + (k0 + k) * lda + i0 + p;
        int64_t i = 0;
        for (; i < rows; i++) pa[k * mr + i] = alpha * src[i];
        for (; i < mr; i++) pa[k * mr + i] = 0.0f;
      }
    } else {
      for (int64_t i = 0; i < mr; i++) {
        if (i >= rows) { for (int64_t k = 0; k < kc; k++) pa[k * mr + i] = 0.0f; continue; }
        const float *src = A + (i0 + p + i) * lda + k0;
        for (int64_t k = 0; k < kc; k++) pa[k * mr + i] = alpha * src[k];
      }
    }
  }
}

/* op(B)[k0 : k0+kc, j0 : j0+nc] into NR-column panels (zeros past nc). */
static void pack_b(int transB, const float *B, int64_t ldb, int64_t k0, int64_t j0, int64_t kc,
                   int64_t nc, float alpha, int nr, float *restrict pb) {
  for (int64_t q = 0; q < nc; q += nr, pb += nr * kc) {
    const int64_t cols = nc - q < nr ? nc - q : nr;
    if (!transB) {
      for (int64_t k = 0; k < kc; k++) {
        const float *src = B + (k0 + k) * ldb + j0 + q;
        if (alpha == 1.0f) memcpy(pb + k * nr, src, (size_t)cols * sizeof(float));
        else for (int64_t j = 0; j < cols; j++) pb[k * nr + j] = alpha * src[j];
        for (int64_t j = cols; j < nr; j++) pb[k * nr + j] = 0.0f;
      }
    } else {
      for (int64_t j = 0; j < nr; j++) {
        if (j >= cols) { for (int64_t k = 0; k < kc; k++) pb[k * nr + j] = 0.0f; continue; }
        const float *src = B + (j0 + q + j) * ldb + k0;
        for (int64_t k = 0; k < kc; k++) pb[k * nr + j] = alpha * src[k];
      }
    }
  }
}

/* C[mc x nc] += packed A * packed B, tile by tile; element (i, j) is C[i * rs + j * cs]. */
static void macro_kernel(const cn_gemm_kernel_t *kr, int64_t mc, int64_t nc, int64_t kc,
                         const float *pa, const float *pb, float *C, int64_t rs, int64_t cs,
                         float *edge) {
  const int mr = kr->mr, nr = kr->nr;
  for (int64_t q = 0; q < nc; q += nr) {
    const int64_t cols = nc - q < nr ? nc - q : nr;
    for (int64_t p = 0; p < mc; p += mr) {
      const int64_t rows = mc - p < mr ? mc - p : mr;
      const float *a = pa + p * kc, *b = pb + q * kc;
      float *c = C + p * rs + q * cs;
      if (rows == mr && cols == nr && cs == 1) { kr->fn(kc, a, b, c, rs); continue; }
      memset(edge, 0, (size_t)mr * nr * sizeof(float));
      kr->fn(kc, a, b, edge, nr);
      if (cs == 1)
        for (int64_t i = 0; i < rows; i++)
          for (int64_t j = 0; j < cols; j++) c[i * rs + j] += edge[i * nr + j];
      else /* transposed: walk C's rows contiguously */
        for (int64_t j = 0; j < cols; j++)
          for (int64_t i = 0; i < rows; i++) c[i + j * cs] += edge[i * nr + j];
    }
  }
}

static float *align64(float *p) { return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

/* Rough instruction count of an M x N x K product on `kr`: vector FMAs over the padded tiles,
 * plus the scalar write-back of the transposed orientation (every tile goes through `edge`). */
static double plan_cost(const cn_gemm_kernel_t *kr, int64_t M, int64_t N, int64_t K, int swap) {
  const int64_t rows = swap ? N : M, cols = swap ? M : N;
  const double padded = (double)((rows + kr->mr - 1) / kr->mr * kr->mr) *
                        (double)((cols + kr->nr - 1) / kr->nr * kr->nr);
  return padded * (double)K / kr->vec + (swap ? 4.0 * (double)M * (double)N : 0.0);
}

/* The kernel of `top`'s family and the orientation (*swap: compute C^T) that cost least. */
static const cn_gemm_kernel_t *plan(const cn_gemm_kernel_t *top, int64_t M, int64_t N, int64_t K,
                                    int *swap) {
  const cn_gemm_kernel_t *best_k = top;
  double best_c = plan_cost(top, M, N, K, 0);
  *swap = 0;
  for (const cn_gemm_kernel_t *k = top; k; k = k->narrower)
    for (int t = 0; t < (N < top->nr ? 2 : 1); t++) { /* transposing pays only for skinny C */
      const double c = plan_cost(k, M, N, K, t);
      if (c < best_c) { best_c = c; best_k = k; *swap = t; }
    }
  return best_k;
}

/* C' += (alphaA op(A')) (alphaB op(B')) for an M x N C' whose (i, j) is C[i * rs + j * cs]. */
static int blocked(const cn_gemm_kernel_t *kr, int transA, int transB, int64_t M, int64_t N,
                   int64_t K, const float *A, int64_t lda, float alphaA, const float *B,
                   int64_t ldb, float alphaB, float *C, int64_t rs, int64_t cs) {
  const int64_t KC = kr->kc, MC = kr->mc, NC = kr->nc;
  const int64_t kcMax = K < KC ? K : KC;
  const int64_t mcMax = ((M < MC ? M : MC) + kr->mr - 1) / kr->mr * kr->mr;
  const int64_t ncMax = ((N < NC ? N : NC) + kr->nr - 1) / kr->nr * kr->nr;
  float *work = cn_alloc((size_t)((mcMax + ncMax) * (kcMax > 0 ? kcMax : 1) + kr->mr * kr->nr + 48), sizeof(float));
  if (!work) return CN_ENOMEM;
  float *pa = align64(work), *pb = align64(pa + mcMax * kcMax), *edge = align64(pb + ncMax * kcMax);
  for (int64_t j0 = 0; j0 < N; j0 += NC) {
    const int64_t nc = N - j0 < NC ? N - j0 : NC;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      const int64_t kc = K - k0 < KC ? K - k0 : KC;
      pack_b(transB, B, ldb, k0, j0, kc, nc, alphaB, kr->nr, pb);
      for (int64_t i0 = 0; i0 < M; i0 += MC) {
        const int64_t mc = M - i0 < MC ? M - i0 : MC;
        pack_a(transA, A, lda, i0, k0, mc, kc, alphaA, kr->mr, pa);
        macro_kernel(kr, mc, nc, kc, pa, pb, C + i0 * rs + j0 * cs, rs, cs, edge);
      }
    }
  }
  free(work);
  return CN_OK;
}

int cn_sgemm_portable_serial(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                      const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                      float *C, int64_t ldc) {
  if (M == 0 || N == 0) return CN_OK;
  for (int64_t i = 0; i < M; i++) {
    float *c = C + i * ldc;
    if (beta == 0.0f) memset(c, 0, (size_t)N * sizeof(float));
    else if (beta != 1.0f) for (int64_t j = 0; j < N; j++) c[j] *= beta;
  }
  int swap;
  const cn_gemm_kernel_t *kr = plan(current(), M, N, K, &swap);
  /* C^T = op(B)^T op(A)^T: op(B)^T is B read with the other transposition, likewise A */
  if (swap) return blocked(kr, !transB, !transA, N, M, K, B, ldb, 1.0f, A, lda, alpha, C, 1, ldc);
  return blocked(kr, transA, transB, M, N, K, A, lda, alpha, B, ldb, 1.0f, C, ldc, 1);
}
