/* N-API bindings of condense's native TF.js backend: module info, GEMM, elementwise ops and
 * reductions (bind_shape.c and bind_conv.c hold the rest). Every function is synchronous, takes
 * the tensors' own typed arrays (no copies) and checks every size, leading dimension and length
 * before touching them (napi_args.h). */
#include <string.h>
#include "bindings.h"
#include "conv_direct.h"

#define CN_VERSION "0.6.0"

/* The numeric-affecting compile flags, written by native/build.mjs from the generated Makefile
 * and $CFLAGS; a build that bypassed build.mjs cannot know them. */
#if defined(__has_include)
#if __has_include("condense_build_flags.h")
#include "condense_build_flags.h"
#endif
#endif
#ifndef CONDENSE_FLAGS
#define CONDENSE_FLAGS "unknown (not built by native/build.mjs)"
#endif

#if defined(__clang__)
#define CN_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define CN_COMPILER "gcc " __VERSION__
#else
#define CN_COMPILER "unknown"
#endif

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
static const char *libc_name(void) {
  static char name[48];
  if (!name[0]) snprintf(name, sizeof name, "glibc %s", gnu_get_libc_version());
  return name;
}
#else
static const char *libc_name(void) { return "unknown"; }
#endif

static napi_status set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_status s = napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  return s == napi_ok ? napi_set_named_property(env, obj, key, v) : s;
}

/* info() -> { version, blas } */
static napi_value js_info(napi_env env, napi_callback_info info) {
  napi_value obj;
  CALL(napi_create_object(env, &obj));
  CALL(set_string(env, obj, "version", CN_VERSION));
  CALL(set_string(env, obj, "blas", cn_blas_name()));
  return obj;
}

/* buildInfo() -> { blas, blasCore, convCore, flags, compiler, libc }: everything that can change numbers */
static napi_value js_build_info(napi_env env, napi_callback_info info) {
  napi_value obj;
  CALL(napi_create_object(env, &obj));
  CALL(set_string(env, obj, "blas", cn_blas_name()));
  CALL(set_string(env, obj, "blasCore", cn_blas_core()));
  CALL(set_string(env, obj, "convCore", cn_conv_core()));
  CALL(set_string(env, obj, "flags", CONDENSE_FLAGS));
  CALL(set_string(env, obj, "compiler", CN_COMPILER));
  CALL(set_string(env, obj, "libc", libc_name()));
  return obj;
}

/* (transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc), checked, then gemm(...) */
static napi_value sgemm_call(napi_env env, napi_callback_info info, const char *name, cn_sgemm_fn gemm) {
  ARGS(name, 13);
  INT(transA, 0, 0, 1); INT(transB, 1, 0, 1);
  DIM(M, 2); DIM(N, 3); DIM(K, 4);
  NUM(alpha, 5); F32(A, 6); INT(lda, 7, 1, CN_DIM_MAX); F32(B, 8); INT(ldb, 9, 1, CN_DIM_MAX);
  NUM(beta, 10); F32(C, 11); INT(ldc, 12, 1, CN_DIM_MAX);
  /* rows x width of op(X) as stored */
  const int64_t aRows = transA ? K : M, aWidth = transA ? M : K;
  const int64_t bRows = transB ? N : K, bWidth = transB ? K : N;
  if (lda < aWidth) FAILF("lda (%lld) must be >= %lld, the row width of A", (long long)lda, (long long)aWidth);
  if (ldb < bWidth) FAILF("ldb (%lld) must be >= %lld, the row width of B", (long long)ldb, (long long)bWidth);
  if (ldc < N) FAILF("ldc (%lld) must be >= N (%lld)", (long long)ldc, (long long)N);
  NEED(A, span(aRows, lda, aWidth));
  NEED(B, span(bRows, ldb, bWidth));
  NEED(C, span(M, ldc, N));
  KERNEL(gemm((int)transA, (int)transB, M, N, K, (float)alpha, A, lda, B, ldb, (float)beta, C, ldc));
  return undefined_value(env);
}

/* sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc): raw BLAS call */
static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  return sgemm_call(env, info, "sgemm", cn_sgemm);
}

/* sgemmPortable(...sgemm's arguments): the portable GEMM, also in an OpenBLAS build */
static napi_value js_sgemm_portable(napi_env env, napi_callback_info info) {
  return sgemm_call(env, info, "sgemmPortable", cn_sgemm_portable);
}

/* gemmKernel(name?) -> the portable GEMM's micro-kernel in effect, after selecting `name`
 * ("avx512" | "avx2" | "generic" | "auto"); throws when `name` cannot run on this CPU. */
static napi_value js_gemm_kernel(napi_env env, napi_callback_info info) {
  ARGS("gemmKernel", 0);
  if (argc > 0) {
    char name[16];
    size_t len = 0;
    if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok)
      FAILF("name must be a string");
    if (!cn_gemm_kernel_select(name)) FAILF("kernel \"%s\" does not run on this CPU (or is unknown)", name);
  }
  napi_value r;
  CALL(napi_create_string_utf8(env, cn_gemm_kernel_name(), NAPI_AUTO_LENGTH, &r));
  return r;
}

/* batchMatMul(a, b, out, batchA, batchB, batch, M, N, K, transA, transB) */
static napi_value js_batch_matmul(napi_env env, napi_callback_info info) {
  ARGS("batchMatMul", 11);
  F32(a, 0); F32(b, 1); F32(out, 2);
  INT(batchA, 3, 1, CN_DIM_MAX); INT(batchB, 4, 1, CN_DIM_MAX); DIM(batch, 5);
  DIM(M, 6); DIM(N, 7); DIM(K, 8); INT(transA, 9, 0, 1); INT(transB, 10, 0, 1);
  NEED(a, cmul(batchA, cmul(M, K)));
  NEED(b, cmul(batchB, cmul(K, N)));
  NEED(out, cmul(batch, cmul(M, N)));
  KERNEL(cn_sgemm_batched(cn_sgemm_serial, (int)transA, (int)transB, batch, batchA, batchB, M, N, K, a, b, out));
  return undefined_value(env);
}

/* biasAct(out, rows, n, bias | null, act, alpha) in place */
static napi_value js_bias_act(napi_env env, napi_callback_info info) {
  ARGS("biasAct", 6);
  F32(out, 0); DIM(rows, 1); DIM(n, 2);
  napi_valuetype t;
  CALL(napi_typeof(env, argv[3], &t));
  float *bias = NULL;
  size_t bias_len = 0;
  if (t != napi_null && t != napi_undefined) {
    bias = typed4(env, argv[3], &bias_len, napi_float32_array);
    if (!bias) FAILF("bias must be a Float32Array or null");
    if (bias_len != 1 && (int64_t)bias_len != n)
      FAILF("bias has %lld elements, needs 1 or n (%lld)", (long long)bias_len, (long long)n);
  }
  INT(act, 4, 0, CN_UNARY_COUNT - 1); NUM(alpha, 5);
  NEED(out, cmul(rows, n));
  cn_bias_act(out, rows, n, bias, (int64_t)bias_len, (int)act, (float)alpha);
  return undefined_value(env);
}

/* binary(op, a, aShape, b, bShape, out, outShape); shapes have equal length */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  ARGS("binary", 7);
  INT(op, 0, 0, CN_BINARY_COUNT - 1);
  F32(a, 1); SHAPE(aShape, 2); F32(b, 3); SHAPE(bShape, 4); F32(out, 5); SHAPE(outShape, 6);
  if (aShape_rank != outShape_rank || bShape_rank != outShape_rank)
    FAILF("aShape, bShape and outShape must have the same length (got %d, %d, %d)", aShape_rank,
          bShape_rank, outShape_rank);
  for (int i = 0; i < outShape_rank; i++) {
    if (aShape[i] != 1 && aShape[i] != outShape[i])
      FAILF("aShape[%d] (%lld) must be 1 or outShape[%d] (%lld)", i, (long long)aShape[i], i, (long long)outShape[i]);
    if (bShape[i] != 1 && bShape[i] != outShape[i])
      FAILF("bShape[%d] (%lld) must be 1 or outShape[%d] (%lld)", i, (long long)bShape[i], i, (long long)outShape[i]);
  }
  NEED(a, cprod(aShape, aShape_rank));
  NEED(b, cprod(bShape, bShape_rank));
  NEED(out, cprod(outShape, outShape_rank));
  cn_binary((int)op, a, aShape, b, bShape, out, outShape, outShape_rank);
  return undefined_value(env);
}

/* unary(op, x, out, p0, p1) */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  ARGS("unary", 5);
  INT(op, 0, 0, CN_UNARY_COUNT - 1); F32(x, 1); F32(out, 2); NUM(p0, 3); NUM(p1, 4);
  NEED(out, (int64_t)x_len);
  cn_unary((int)op, x, out, (int64_t)x_len, (float)p0, (float)p1);
  return undefined_value(env);
}

/* maskGrad(op, dy, x, out, lo, hi): 0 the Relu gradient, 1 ClipByValue's, 2 Square's (kernels.h) */
static napi_value js_mask_grad(napi_env env, napi_callback_info info) {
  ARGS("maskGrad", 6);
  INT(op, 0, 0, CN_MASK_SQUARE); F32(dy, 1); F32(x, 2); F32(out, 3); NUM(lo, 4); NUM(hi, 5);
  NEED(x, (int64_t)dy_len);
  NEED(out, (int64_t)dy_len);
  cn_mask_grad((int)op, dy, x, out, (int64_t)dy_len, (float)lo, (float)hi);
  return undefined_value(env);
}

/* reduce(op, x, out, pre, red, post) */
static napi_value js_reduce(napi_env env, napi_callback_info info) {
  ARGS("reduce", 6);
  INT(op, 0, 0, 4); F32(x, 1); F32(out, 2); DIM(pre, 3); INT(red, 4, 1, CN_DIM_MAX); DIM(post, 5);
  NEED(x, cmul(pre, cmul(red, post)));
  NEED(out, cmul(pre, post));
  KERNEL(cn_reduce((int)op, x, out, pre, red, post));
  return undefined_value(env);
}

/* softmax(x, out, rows, cols) */
static napi_value js_softmax(napi_env env, napi_callback_info info) {
  ARGS("softmax", 4);
  F32(x, 0); F32(out, 1); DIM(rows, 2); INT(cols, 3, 1, CN_DIM_MAX);
  NEED(x, cmul(rows, cols));
  NEED(out, cmul(rows, cols));
  cn_softmax(x, out, rows, cols);
  return undefined_value(env);
}

/* setBlasThreads(n) -> the thread count in effect (benchmarks; the backend runs on one) */
static napi_value js_set_blas_threads(napi_env env, napi_callback_info info) {
  ARGS("setBlasThreads", 1);
  INT(n, 0, 1, 1024);
  napi_value r;
  CALL(napi_create_int32(env, cn_blas_set_threads((int)n), &r));
  return r;
}

/* threads(n?) -> the kernels' thread count in effect, after setting it to n (0: the default,
 * $CONDENSE_THREADS or the CPUs available). Results do not depend on it. */
static napi_value js_threads(napi_env env, napi_callback_info info) {
  ARGS("threads", 0);
  int64_t n = -1;
  if (argc > 0 && !int_arg(env, fn, argv[0], "n", 0, 1024, &n)) return NULL;
  napi_value r;
  CALL(napi_create_int32(env, n >= 0 ? cn_set_threads((int)n) : cn_threads(), &r));
  return r;
}

/* gemmParts(M, N, K) -> how many panels the parallel GEMM cuts an M x N x K product into */
static napi_value js_gemm_parts(napi_env env, napi_callback_info info) {
  ARGS("gemmParts", 3);
  DIM(M, 0); DIM(N, 1); DIM(K, 2);
  napi_value r;
  CALL(napi_create_int32(env, cn_gemm_parts(M, N, K), &r));
  return r;
}

/* _poolJobs() -> how many kernel calls have run on more than one thread so far (tests) */
static napi_value js_pool_jobs(napi_env env, napi_callback_info info) {
  napi_value r;
  CALL(napi_create_double(env, (double)cn_pool_jobs(), &r));
  return r;
}

/* _failAllocation(n): test hook, the n-th kernel allocation from now fails once (0: none) */
static napi_value js_fail_allocation(napi_env env, napi_callback_info info) {
  ARGS("_failAllocation", 1);
  INT(n, 0, 0, CN_DIM_MAX);
  cn_fail_allocation(n);
  return undefined_value(env);
}

static const cn_binding_t core_bindings[] = {
    {"info", js_info}, {"buildInfo", js_build_info}, {"sgemm", js_sgemm},
    {"sgemmPortable", js_sgemm_portable}, {"gemmKernel", js_gemm_kernel},
    {"batchMatMul", js_batch_matmul}, {"biasAct", js_bias_act}, {"binary", js_binary},
    {"unary", js_unary}, {"maskGrad", js_mask_grad}, {"reduce", js_reduce}, {"softmax", js_softmax},
    {"setBlasThreads", js_set_blas_threads}, {"threads", js_threads}, {"gemmParts", js_gemm_parts},
    {"_poolJobs", js_pool_jobs}, {"_failAllocation", js_fail_allocation},
};

static napi_status define(napi_env env, napi_value exports, const cn_binding_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    napi_property_descriptor d = {b[i].name, NULL, b[i].fn, NULL, NULL, NULL, napi_enumerable, NULL};
    napi_status s = napi_define_properties(env, exports, 1, &d);
    if (s != napi_ok) return s;
  }
  return napi_ok;
}

static napi_value init(napi_env env, napi_value exports) {
  cn_blas_init();
  if (define(env, exports, core_bindings, sizeof core_bindings / sizeof core_bindings[0]) != napi_ok ||
      define(env, exports, cn_shape_bindings, cn_shape_binding_count) != napi_ok ||
      define(env, exports, cn_conv_bindings, cn_conv_binding_count) != napi_ok ||
      define(env, exports, cn_row_bindings, cn_row_binding_count) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
