/* The portable GEMM's micro-kernels (gemm_portable.c, gemm_x86.c). */
#ifndef CONDENSE_GEMM_PORTABLE_H
#define CONDENSE_GEMM_PORTABLE_H
#include <stdint.h>

/* c[i * ldc + j] += sum over k < kc of a[k * mr + i] * b[k * nr + j], for i < mr, j < nr; a and
 * b are packed panels (64-byte aligned), each sum accumulated over k in order from zero. */
typedef void (*cn_micro_kernel_fn)(int64_t kc, const float *a, const float *b, float *c,
                                   int64_t ldc);

typedef struct cn_gemm_kernel {
  const char *name; /* "avx512", "avx2", "generic" */
  int mr, nr;       /* the tile the micro-kernel computes */
  int vec;          /* floats per vector instruction (the plan's cost model) */
  int64_t kc, mc, nc; /* cache blocking: depth, rows (a multiple of mr), columns (of nr) */
  cn_micro_kernel_fn fn;
  /* A kernel of narrower tiles computing the same bits (same KC, same fused multiply-adds), or
   * NULL: the portable GEMM may use it for skinny products. */
  const struct cn_gemm_kernel *narrower;
} cn_gemm_kernel_t;

/* The x86 kernel called `name` when this CPU (and OS) supports it, else NULL. */
const cn_gemm_kernel_t *cn_gemm_kernel_x86(const char *name);
/* The kernel called `name` if it runs here, else NULL. */
const cn_gemm_kernel_t *cn_gemm_kernel_find(const char *name);
#endif
