/* Kernels of condense's native TF.js backend. All tensors are dense row-major float32
 * (4-byte elements for gather/transpose). Deterministic: the parallel ones cut their work by
 * the problem's shape only (threads.c), so results do not depend on the thread count. */
#ifndef CONDENSE_KERNELS_H
#define CONDENSE_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#define CN_MAX_RANK 8

/* Kernel status codes (the kernels that can fail return one of these). */
#define CN_OK 0
#define CN_ENOMEM (-1)    /* a work buffer could not be allocated */
#define CN_ETOOBIG (-2)   /* a size does not fit BLAS's 32-bit int arguments */

/* ---- alloc.c: every kernel allocation goes through these; NULL on failure or size overflow. */
void *cn_alloc(size_t count, size_t size);
void *cn_calloc(size_t count, size_t size);
/* Test hook: the n-th allocation from now fails once (n <= 0: none). */
void cn_fail_allocation(int64_t n);

/* ---- threads.c: a persistent thread pool (idle threads sleep). */
typedef void (*cn_part_fn)(void *ctx, int part);
/* Runs fn(ctx, p) for every part p in [0, parts) on up to cn_threads() threads; returns when all
 * are done. Parts must write disjoint outputs; callers fix `parts` from the shape alone. Runs
 * serially when nested in a part, or when another thread is using the pool. */
void cn_parallel(int parts, cn_part_fn fn, void *ctx);
/* The thread count in effect: cn_set_threads's, else $CONDENSE_THREADS, else the CPUs this
 * process may use (at most 64). */
int cn_threads(void);
/* Sets the thread count (n < 1: the default); returns the count in effect. */
int cn_set_threads(int n);
int cn_default_threads(void);
/* How many cn_parallel calls have run on more than one thread so far (tests). */
long cn_pool_jobs(void);
/* [begin, end) of part `part` of `parts` over n items, cut at multiples of `align`. */
void cn_part_range(int64_t n, int parts, int part, int64_t align, int64_t *begin, int64_t *end);
/* How many parts (1, 2, 4 or 8, at most max_parts) to cut `work` into: 1 below
 * CN_PARALLEL_MIN_WORK, else as many as keep each part at least CN_PARALLEL_MIN_PART. */
int cn_parts_for(double work, int max_parts);
/* Work (floating-point operations) below which a kernel stays on one thread: on this shared
 * 2-core machine a woken thread often starts ~0.1-1 ms late, so smaller kernels were slower on
 * two threads (bench/gemm.mjs, section threads: a 128^3 GEMM at 0.3x); many parts per call let
 * the caller finish the work of a thread that starts late. */
#define CN_PARALLEL_MIN_WORK 16e6
#define CN_PARALLEL_MIN_PART 2e6
/* Elementwise ops are memory-bound: an element costs about as much as this many GEMM flops (so
 * from ~500k elements on they use both cores). */
#define CN_ELEMENT_WORK 32.0
typedef void (*cn_range_fn)(void *ctx, int64_t begin, int64_t end);
/* How many ranges cn_parallel_range cuts n items of `work` in total into (from the shape only). */
int cn_range_parts(int64_t n, double work);
/* fn(ctx, begin, end) over cn_range_parts(n, work) ranges of [0, n), on the pool; for items
 * whose outputs are disjoint and computed the same whatever the range. */
void cn_parallel_range(int64_t n, double work, cn_range_fn fn, void *ctx);

typedef int (*cn_sgemm_fn)(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                           const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                           float *C, int64_t ldc);
/* ---- gemm_parallel.c: `gemm` (a single-threaded GEMM) on row or column panels of C spread
 * over the pool; the panels depend on M, N, K only. */
int cn_sgemm_parallel(cn_sgemm_fn gemm, int transA, int transB, int64_t M, int64_t N, int64_t K,
                      float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                      float beta, float *C, int64_t ldc);
/* The number of panels an M x N x K product is cut into (1: one call). */
int cn_gemm_parts(int64_t M, int64_t N, int64_t K);
/* out[i] = op(a[i % batchA]) op(b[i % batchB]) for i < batch (row-major, packed): each item as
 * cn_sgemm_parallel(gemm, ...) computes it, small items spread over the pool. A status code. */
int cn_sgemm_batched(cn_sgemm_fn gemm, int transA, int transB, int64_t batch, int64_t batchA,
                     int64_t batchB, int64_t M, int64_t N, int64_t K, const float *a,
                     const float *b, float *out);

/* ---- gemm.c: C = alpha * op(A) * op(B) + beta * C, row-major, like cblas_sgemm. Returns a
 * status code: the portable GEMM allocates packing buffers, OpenBLAS takes 32-bit sizes. */
int cn_sgemm(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
              const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
              float *C, int64_t ldc);
/* The portable GEMM (gemm_portable.c), compiled in every build; cn_sgemm when no BLAS is linked.
 * cn_sgemm and cn_sgemm_portable run on the pool; the _serial variants are one call. */
int cn_sgemm_portable(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                      const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                      float *C, int64_t ldc);
int cn_sgemm_serial(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                    const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                    float *C, int64_t ldc);
int cn_sgemm_portable_serial(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha,
                      const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                      float *C, int64_t ldc);
/* The portable GEMM's micro-kernel in use: "avx512", "avx2" or "generic" (the best this CPU
 * runs, unless $CONDENSE_GEMM_KERNEL or cn_gemm_kernel_select chose another). */
const char *cn_gemm_kernel_name(void);
/* Uses kernel `name` ("auto": the best here); returns its name, NULL if it cannot run here. */
const char *cn_gemm_kernel_select(const char *name);
/* "openblas <version>" (of the library actually linked) or "portable". */
const char *cn_blas_name(void);
/* OpenBLAS's kernel set in use (e.g. "Haswell"; it changes the last bits), or the portable
 * GEMM's micro-kernel. */
const char *cn_blas_core(void);
void cn_blas_init(void);
/* Sets OpenBLAS's own thread count (benchmarks only: it changes results); returns the count in
 * effect (1 for the portable GEMM). */
int cn_blas_set_threads(int n);

/* ---- elementwise.c */
enum { CN_ADD, CN_SUB, CN_MUL, CN_DIV, CN_MAX, CN_MIN, CN_SQDIFF, CN_BINARY_COUNT };
enum {
  CN_RELU, CN_RELU6, CN_STEP, CN_EXP, CN_LOG, CN_SQRT, CN_RSQRT, CN_SIGMOID, CN_TANH,
  CN_SQUARE, CN_NEG, CN_ABS, CN_RECIPROCAL, CN_SOFTPLUS, CN_ELU, CN_LEAKYRELU, CN_CLIP,
  CN_LOG1P, CN_EXPM1, CN_LINEAR, CN_UNARY_COUNT
};
/* Broadcasting binary op; shapes are right-aligned to `rank` (missing dims = 1). */
void cn_binary(int op, const float *a, const int64_t *ashape, const float *b,
               const int64_t *bshape, float *out, const int64_t *oshape, int rank);
void cn_unary(int op, const float *x, float *out, int64_t n, float p0, float p1);
/* One kernel for a masking op's gradient: CN_MASK_RELU, dy * step(x) (TF.js's Relu gradient);
 * CN_MASK_CLIP, lo <= x <= hi ? dy : 0 (ClipByValue's); CN_MASK_SQUARE, dy * (x * 2) (Square's,
 * not a mask but the same shape of kernel). Bit-identical to TF.js's composed ops. */
enum { CN_MASK_RELU, CN_MASK_CLIP, CN_MASK_SQUARE };
void cn_mask_grad(int op, const float *dy, const float *x, float *out, int64_t n, float lo, float hi);
/* out[r, c] = act(out[r, c] + bias[c or 0]); bias may be NULL; biasLen is N or 1. */
void cn_bias_act(float *out, int64_t rows, int64_t n, const float *bias, int64_t biasLen,
                 int act, float p0);
/* ---- reduce.c: reduce the middle axis of [pre, red, post] (on the pool, split by outputs). op: 0 sum, 1 max, 2 min, 3 mean, 4 prod.
 * Returns a status code. */
int cn_reduce(int op, const float *x, float *out, int64_t pre, int64_t red, int64_t post);
/* Softmax over rows of `cols` (exp in float32, cn_expf), and its gradient from the output y:
 * dx = dy * y - sum(dy * y) * y, on the pool by rows. */
void cn_softmax(const float *x, float *out, int64_t rows, int64_t cols);
void cn_softmax_grad(const float *y, const float *dy, float *dx, int64_t rows, int64_t cols);
/* Returns the first bad index position + 1, or 0 when all indices are valid. */
int64_t cn_gather(const uint32_t *x, const int32_t *idx, uint32_t *out, int64_t outer,
                  int64_t axisDim, int64_t inner, int64_t nIdx);
void cn_transpose(const uint32_t *x, uint32_t *out, const int64_t *shape, const int64_t *perm,
                  int rank);

/* out = x tiled reps[k] times along each dim k (4-byte elements). */
void cn_tile(const uint32_t *x, uint32_t *out, const int64_t *shape, const int64_t *reps, int rank);
/* ---- batchnorm.c: TF.js's FusedBatchNorm, each parameter read cyclically (index i mod its
 * length); offset and scale may be NULL (0 and 1). Bit-identical to TF.js's cpu kernel. Returns a
 * status code. */
int cn_batch_norm(const float *x, int64_t n, const float *mean, int64_t lm, const float *var,
                  int64_t lv, const float *offset, int64_t lo, const float *scale, int64_t ls,
                  double eps, float *out);
/* The gradient of FusedBatchNorm over x [rows, C] with per-channel mean, var and scale (NULL: 1),
 * as tfjs-core composes it: dx [rows, C] and the per-channel dmean, dvar, dscale, doffset [C],
 * bit-identical to those ops on this backend. Returns a status code. */
int cn_batch_norm_grad(const float *dy, const float *x, const float *mean, const float *var,
                       const float *scale, int64_t rows, int64_t C, float eps, float *dx,
                       float *dmean, float *dvar, float *dscale, float *doffset);
/* ---- bn_train.c: batch normalization in training over x [rows, C] (scale, offset NULL: 1, 0).
 * cn_bn_train writes y [rows, C] and the per-channel mean and biased variance [C]; cn_bn_train_grad
 * the gradient through all three outputs (dmean, dvar: the gradients reaching mean and var)
 * into dx [rows, C], dscale and doffset [C]. Return a status code. */
int cn_bn_train(const float *x, int64_t rows, int64_t C, const float *scale, const float *offset,
                double eps, float *y, float *mean, float *var);
int cn_bn_train_grad(const float *dy, const float *x, int64_t rows, int64_t C, const float *scale,
                     const float *mean, const float *var, const float *dmean, const float *dvar,
                     double eps, float *dx, float *dscale, float *doffset);
/* ---- layernorm.c: layer normalization over the last axis of x [rows, C] with per-channel gamma
 * and beta [C]: y = (x - mean) rstd gamma + beta, rstd = 1 / sqrt(var + eps) (biased variance),
 * mean and rstd [rows] kept for the gradient; the gradient gives dx [rows, C], dgamma and dbeta
 * [C]. On the pool by rows; deterministic. The gradient returns a status code. */
void cn_layer_norm(const float *x, const float *gamma, const float *beta, int64_t rows, int64_t C,
                   float eps, float *y, float *mean, float *rstd);
int cn_layer_norm_grad(const float *dy, const float *x, const float *mean, const float *rstd,
                       const float *gamma, int64_t rows, int64_t C, float *dx, float *dgamma,
                       float *dbeta);
/* out[ids[r], :] += x[r, :] over rows r; ids outside [0, numSegments) are skipped. */
void cn_segment_sum(const float *x, const int32_t *ids, int64_t rows, int64_t inner,
                    int64_t numSegments, float *out);

/* dst[r * dstRow + j] = src[r * row + j] for r < rows, j < row (4-byte elements; one input of a
 * concatenation: dst points at its first column). */
void cn_copy_rows(const uint32_t *src, int64_t rows, int64_t row, uint32_t *dst, int64_t dstRow);

/* out = x[begin : begin + size] along every dim (4-byte elements). */
void cn_slice(const uint32_t *x, uint32_t *out, const int64_t *shape, const int64_t *begin,
              const int64_t *size, int rank);

/* ---- conv.c: NHWC, filters [fh, fw, cin, cout]. */
typedef struct {
  int64_t batch, inH, inW, inC, outH, outW, outC, fh, fw, sh, sw, dh, dw, padTop, padLeft;
} cn_conv_t;
/* These write every output element and return a status code. */
int cn_conv2d(const cn_conv_t *c, const float *x, const float *w, float *y);
/* ---- im2col.c (conv.c's helpers) for images [b0, b0 + nb): colT[(kh, kw, ci), (b, oh, ow)]
 * ("transposed"), or, for long filter rows (cn_conv_use_rows), col[(b, oh, ow), (kh, kw, ci)];
 * cn_col2im_t and cn_rows_im2col(add = 1) add columns back into x. */
int cn_conv_is_pointwise(const cn_conv_t *c);
int cn_conv_use_rows(const cn_conv_t *c);
void cn_im2col_t(const cn_conv_t *c, const float *x, int64_t b0, int64_t nb, float *colT);
void cn_col2im_t(const cn_conv_t *c, const float *colT, int64_t b0, int64_t nb, float *dx);
void cn_rows_im2col(const cn_conv_t *c, float *x, int64_t b0, int64_t nb, float *col, int add);
int cn_conv2d_backprop_input(const cn_conv_t *c, const float *dy, const float *w, float *dx);
int cn_conv2d_backprop_filter(const cn_conv_t *c, const float *x, const float *dy, float *dw);
/* ---- depthwise.c: filters [fh, fw, inC, mult], outC = inC * mult. */
void cn_depthwise(const cn_conv_t *c, const float *x, const float *w, float *y);
void cn_depthwise_backprop_input(const cn_conv_t *c, const float *dy, const float *w, float *dx);
int cn_depthwise_backprop_filter(const cn_conv_t *c, const float *x, const float *dy, float *dw);
/* Max/avg pooling (avg: isAvg=1, padding excluded from the count like TF.js). */
int cn_pool(const cn_conv_t *c, int isAvg, const float *x, float *y); /* a status code */
void cn_max_pool_grad(const cn_conv_t *c, const float *x, const float *dy, float *dx);
/* ---- optim.c: Adam, as TF.js's AdamOptimizer computes it (float32 scalars). */
typedef struct {
  float beta1, oneMinusBeta1, beta2, oneMinusBeta2, oneMinusAccBeta1, oneMinusAccBeta2, epsilon,
      negLearningRate;
} cn_adam_t;
void cn_adam(const float *w, const float *m, const float *v, const float *g, int64_t n,
             const cn_adam_t *p, const float *mask, float *wOut, float *mOut, float *vOut);
#endif
