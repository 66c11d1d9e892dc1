/* N-API bindings of condense's native TF.js backend. Every function is synchronous, takes the
 * tensors' own typed arrays (no copies) and checks their lengths before touching them. */
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include "kernels.h"

#define CN_VERSION "0.1.0"
#define MAX_ARGS 16

#define CALL(expr)                                                   \
  do {                                                               \
    if ((expr) != napi_ok) { throw_last(env); return NULL; }         \
  } while (0)
#define FAIL(msg)                                                    \
  do { napi_throw_error(env, "ERR_CONDENSE_NATIVE", msg); return NULL; } while (0)

static void throw_last(napi_env env) {
  const napi_extended_error_info *info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, "ERR_CONDENSE_NATIVE",
                   info && info->error_message ? info->error_message : "N-API call failed");
}

/* 4-byte typed array (Float32Array / Int32Array / Uint32Array) -> data pointer and length */
static void *typed4(napi_env env, napi_value v, size_t *len, napi_typedarray_type want) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  napi_typedarray_type type;
  void *data = NULL;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &data, &ab, &off) != napi_ok) return NULL;
  if (want == napi_float32_array && type != napi_float32_array) return NULL;
  if (want == napi_int32_array && type != napi_int32_array) return NULL;
  if (want == napi_uint32_array && type != napi_float32_array && type != napi_int32_array &&
      type != napi_uint32_array) return NULL;
  return data;
}

#define F32(i, name, lenvar)                                                         \
  size_t lenvar = 0;                                                                 \
  float *name = (float *)typed4(env, argv[i], &lenvar, napi_float32_array);          \
  if (!name) FAIL("argument " #i " must be a Float32Array");
#define ANY4(i, name, lenvar)                                                        \
  size_t lenvar = 0;                                                                 \
  uint32_t *name = (uint32_t *)typed4(env, argv[i], &lenvar, napi_uint32_array);     \
  if (!name) FAIL("argument " #i " must be a 4-byte typed array");

static int64_t get_int(napi_env env, napi_value v) {
  int64_t x = 0;
  napi_get_value_int64(env, v, &x);
  return x;
}
static double get_num(napi_env env, napi_value v) {
  double x = 0;
  napi_get_value_double(env, v, &x);
  return x;
}
/* JS number array -> int64 array; returns its length or -1 */
static int get_ints(napi_env env, napi_value v, int64_t *out, int max) {
  uint32_t n = 0;
  if (napi_get_array_length(env, v, &n) != napi_ok || n > (uint32_t)max) return -1;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    if (napi_get_element(env, v, i, &e) != napi_ok) return -1;
    out[i] = get_int(env, e);
  }
  return (int)n;
}
static int64_t prod(const int64_t *s, int n) {
  int64_t p = 1;
  for (int i = 0; i < n; i++) p *= s[i];
  return p;
}

#define ARGS(n)                                                       \
  size_t argc = MAX_ARGS;                                             \
  napi_value argv[MAX_ARGS];                                          \
  CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));         \
  if (argc < (n)) FAIL("too few arguments");

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* info() -> { version, blas } */
static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, v, b;
  CALL(napi_create_object(env, &obj));
  CALL(napi_create_string_utf8(env, CN_VERSION, NAPI_AUTO_LENGTH, &v));
  CALL(napi_create_string_utf8(env, cn_blas_name(), NAPI_AUTO_LENGTH, &b));
  CALL(napi_set_named_property(env, obj, "version", v));
  CALL(napi_set_named_property(env, obj, "blas", b));
  return obj;
}

/* sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc): raw BLAS call */
static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  ARGS(13);
  int tA = (int)get_int(env, argv[0]), tB = (int)get_int(env, argv[1]);
  int64_t M = get_int(env, argv[2]), N = get_int(env, argv[3]), K = get_int(env, argv[4]);
  float alpha = (float)get_num(env, argv[5]), beta = (float)get_num(env, argv[10]);
  F32(6, A, la); F32(8, B, lb); F32(11, C, lc);
  int64_t lda = get_int(env, argv[7]), ldb = get_int(env, argv[9]), ldc = get_int(env, argv[12]);
  if ((int64_t)la < (tA ? K * lda : M * lda) || (int64_t)lb < (tB ? N * ldb : K * ldb) ||
      (int64_t)lc < M * ldc)
    FAIL("sgemm: array too short");
  cn_sgemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  return undefined(env);
}

/* batchMatMul(a, b, out, batchA, batchB, batch, M, N, K, transA, transB) */
static napi_value js_batch_matmul(napi_env env, napi_callback_info info) {
  ARGS(11);
  F32(0, a, la); F32(1, b, lb); F32(2, out, lo);
  int64_t bA = get_int(env, argv[3]), bB = get_int(env, argv[4]), batch = get_int(env, argv[5]);
  int64_t M = get_int(env, argv[6]), N = get_int(env, argv[7]), K = get_int(env, argv[8]);
  int tA = (int)get_int(env, argv[9]), tB = (int)get_int(env, argv[10]);
  if ((int64_t)la < bA * M * K || (int64_t)lb < bB * K * N || (int64_t)lo < batch * M * N ||
      bA < 1 || bB < 1)
    FAIL("batchMatMul: array too short");
  for (int64_t i = 0; i < batch; i++) {
    const float *ai = a + (i % bA) * M * K, *bi = b + (i % bB) * K * N;
    cn_sgemm(tA, tB, M, N, K, 1.0f, ai, tA ? M : K, bi, tB ? K : N, 0.0f, out + i * M * N, N);
  }
  return undefined(env);
}

/* biasAct(out, rows, n, bias | null, act, p0) in place */
static napi_value js_bias_act(napi_env env, napi_callback_info info) {
  ARGS(6);
  F32(0, out, lo);
  int64_t rows = get_int(env, argv[1]), n = get_int(env, argv[2]);
  napi_valuetype t;
  CALL(napi_typeof(env, argv[3], &t));
  float *bias = NULL;
  size_t lb = 0;
  if (t != napi_null && t != napi_undefined) {
    bias = (float *)typed4(env, argv[3], &lb, napi_float32_array);
    if (!bias || (lb != 1 && (int64_t)lb != n)) FAIL("biasAct: bad bias");
  }
  int act = (int)get_int(env, argv[4]);
  if ((int64_t)lo < rows * n) FAIL("biasAct: array too short");
  cn_bias_act(out, rows, n, bias, (int64_t)lb, act, (float)get_num(env, argv[5]));
  return undefined(env);
}

/* binary(op, a, aShape, b, bShape, out, outShape); shapes have equal length */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  ARGS(7);
  int op = (int)get_int(env, argv[0]);
  F32(1, a, la); F32(3, b, lb); F32(5, out, lo);
  int64_t as[CN_MAX_RANK], bs[CN_MAX_RANK], os[CN_MAX_RANK];
  int ra = get_ints(env, argv[2], as, CN_MAX_RANK), rb = get_ints(env, argv[4], bs, CN_MAX_RANK),
      ro = get_ints(env, argv[6], os, CN_MAX_RANK);
  if (ra < 0 || ra != rb || ra != ro || op < 0 || op >= CN_BINARY_COUNT) FAIL("binary: bad shapes");
  for (int i = 0; i < ro; i++)
    if ((as[i] != 1 && as[i] != os[i]) || (bs[i] != 1 && bs[i] != os[i])) FAIL("binary: not broadcastable");
  if ((int64_t)la < prod(as, ra) || (int64_t)lb < prod(bs, rb) || (int64_t)lo < prod(os, ro))
    FAIL("binary: array too short");
  cn_binary(op, a, as, b, bs, out, os, ro);
  return undefined(env);
}

/* unary(op, x, out, p0, p1) */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  ARGS(5);
  int op = (int)get_int(env, argv[0]);
  F32(1, x, lx); F32(2, out, lo);
  if (lo < lx || op < 0 || op >= CN_UNARY_COUNT) FAIL("unary: bad arguments");
  cn_unary(op, x, out, (int64_t)lx, (float)get_num(env, argv[3]), (float)get_num(env, argv[4]));
  return undefined(env);
}

/* reduce(op, x, out, pre, red, post) */
static napi_value js_reduce(napi_env env, napi_callback_info info) {
  ARGS(6);
  int op = (int)get_int(env, argv[0]);
  F32(1, x, lx); F32(2, out, lo);
  int64_t pre = get_int(env, argv[3]), red = get_int(env, argv[4]), post = get_int(env, argv[5]);
  if ((int64_t)lx < pre * red * post || (int64_t)lo < pre * post || red < 1 || op < 0 || op > 4)
    FAIL("reduce: bad arguments");
  cn_reduce(op, x, out, pre, red, post);
  return undefined(env);
}

/* softmax(x, out, rows, cols) */
static napi_value js_softmax(napi_env env, napi_callback_info info) {
  ARGS(4);
  F32(0, x, lx); F32(1, out, lo);
  int64_t rows = get_int(env, argv[2]), cols = get_int(env, argv[3]);
  if ((int64_t)lx < rows * cols || (int64_t)lo < rows * cols || cols < 1) FAIL("softmax: bad arguments");
  cn_softmax(x, out, rows, cols);
  return undefined(env);
}

/* gather(x, indices:Int32Array, out, outer, axisDim, inner) -> 0 or (bad position + 1) */
static napi_value js_gather(napi_env env, napi_callback_info info) {
  ARGS(6);
  ANY4(0, x, lx); ANY4(2, out, lo);
  size_t ni = 0;
  int32_t *idx = (int32_t *)typed4(env, argv[1], &ni, napi_int32_array);
  if (!idx) FAIL("gather: indices must be an Int32Array");
  int64_t outer = get_int(env, argv[3]), axisDim = get_int(env, argv[4]), inner = get_int(env, argv[5]);
  if ((int64_t)lx < outer * axisDim * inner || (int64_t)lo < outer * (int64_t)ni * inner)
    FAIL("gather: array too short");
  napi_value r;
  CALL(napi_create_int64(env, cn_gather(x, idx, out, outer, axisDim, inner, (int64_t)ni), &r));
  return r;
}

/* transpose(x, out, shape, perm) */
static napi_value js_transpose(napi_env env, napi_callback_info info) {
  ARGS(4);
  ANY4(0, x, lx); ANY4(1, out, lo);
  int64_t shape[CN_MAX_RANK], perm[CN_MAX_RANK];
  int r = get_ints(env, argv[2], shape, CN_MAX_RANK), rp = get_ints(env, argv[3], perm, CN_MAX_RANK);
  if (r < 0 || r != rp) FAIL("transpose: bad shape/perm");
  int seen[CN_MAX_RANK] = {0};
  for (int i = 0; i < r; i++) {
    if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]) FAIL("transpose: bad perm");
    seen[perm[i]] = 1;
  }
  if ((int64_t)lx < prod(shape, r) || (int64_t)lo < prod(shape, r)) FAIL("transpose: array too short");
  cn_transpose(x, out, shape, perm, r);
  return undefined(env);
}

/* tile(x, out, shape, reps) for 4-byte elements */
static napi_value js_tile(napi_env env, napi_callback_info info) {
  ARGS(4);
  ANY4(0, x, lx); ANY4(1, out, lo);
  int64_t shape[CN_MAX_RANK], reps[CN_MAX_RANK], outShape[CN_MAX_RANK];
  int r = get_ints(env, argv[2], shape, CN_MAX_RANK), rr = get_ints(env, argv[3], reps, CN_MAX_RANK);
  if (r < 0 || r != rr) FAIL("tile: bad shape/reps");
  for (int i = 0; i < r; i++) {
    if (shape[i] < 0 || reps[i] < 0) FAIL("tile: negative size");
    outShape[i] = shape[i] * reps[i];
  }
  if ((int64_t)lx < prod(shape, r) || (int64_t)lo < prod(outShape, r)) FAIL("tile: array too short");
  cn_tile(x, out, shape, reps, r);
  return undefined(env);
}

/* slice(x, out, shape, begin, size) for 4-byte elements */
static napi_value js_slice(napi_env env, napi_callback_info info) {
  ARGS(5);
  ANY4(0, x, lx); ANY4(1, out, lo);
  int64_t shape[CN_MAX_RANK], begin[CN_MAX_RANK], size[CN_MAX_RANK];
  int r = get_ints(env, argv[2], shape, CN_MAX_RANK), rb = get_ints(env, argv[3], begin, CN_MAX_RANK),
      rs = get_ints(env, argv[4], size, CN_MAX_RANK);
  if (r < 0 || r != rb || r != rs) FAIL("slice: bad shape/begin/size");
  for (int i = 0; i < r; i++)
    if (begin[i] < 0 || size[i] < 0 || begin[i] + size[i] > shape[i]) FAIL("slice: out of bounds");
  if ((int64_t)lx < prod(shape, r) || (int64_t)lo < prod(size, r)) FAIL("slice: array too short");
  cn_slice(x, out, shape, begin, size, r);
  return undefined(env);
}

/* optional Float32Array argument: NULL with length 0 for null/undefined */
static int optional_f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_null || t == napi_undefined) { *data = NULL; *len = 0; return 1; }
  *data = (float *)typed4(env, v, len, napi_float32_array);
  return *data != NULL;
}

/* batchNorm(x, mean, variance, offset | null, scale | null, epsilon, out) */
static napi_value js_batch_norm(napi_env env, napi_callback_info info) {
  ARGS(7);
  F32(0, x, lx); F32(1, mean, lm); F32(2, var, lv); F32(6, out, lo);
  float *offset = NULL, *scale = NULL;
  size_t lof = 0, ls = 0;
  if (!optional_f32(env, argv[3], &offset, &lof) || !optional_f32(env, argv[4], &scale, &ls))
    FAIL("batchNorm: offset and scale must be Float32Arrays or null");
  if (lm == 0 || lv == 0 || (offset && lof == 0) || (scale && ls == 0) || lo < lx)
    FAIL("batchNorm: bad lengths");
  cn_batch_norm(x, (int64_t)lx, mean, (int64_t)lm, var, (int64_t)lv, offset, (int64_t)lof, scale,
                (int64_t)ls, get_num(env, argv[5]), out);
  return undefined(env);
}

/* segmentSum(x, ids, inner, numSegments, out) */
static napi_value js_segment_sum(napi_env env, napi_callback_info info) {
  ARGS(5);
  F32(0, x, lx); F32(4, out, lo);
  size_t li = 0;
  int32_t *ids = (int32_t *)typed4(env, argv[1], &li, napi_int32_array);
  if (!ids) FAIL("segmentSum: ids must be an Int32Array");
  int64_t inner = get_int(env, argv[2]), segments = get_int(env, argv[3]);
  if (inner < 0 || segments < 0 || (int64_t)lx < (int64_t)li * inner || (int64_t)lo < segments * inner)
    FAIL("segmentSum: array too short");
  cn_segment_sum(x, ids, (int64_t)li, inner, segments, out);
  return undefined(env);
}

/* conv params: [batch, inH, inW, inC, outH, outW, outC, fh, fw, sh, sw, dh, dw, padTop, padLeft] */
static int get_conv(napi_env env, napi_value v, cn_conv_t *c) {
  int64_t p[15];
  if (get_ints(env, v, p, 15) != 15) return 0;
  c->batch = p[0]; c->inH = p[1]; c->inW = p[2]; c->inC = p[3]; c->outH = p[4]; c->outW = p[5];
  c->outC = p[6]; c->fh = p[7]; c->fw = p[8]; c->sh = p[9]; c->sw = p[10]; c->dh = p[11];
  c->dw = p[12]; c->padTop = p[13]; c->padLeft = p[14];
  for (int i = 0; i < 13; i++) if (p[i] < 0) return 0;
  return 1;
}
#define CONV_SIZES(c)                                                  \
  const int64_t xs = c.batch * c.inH * c.inW * c.inC;                  \
  const int64_t ys = c.batch * c.outH * c.outW * c.outC;               \
  int64_t ws = c.fh * c.fw * c.inC * c.outC;

/* conv2d(x, w, y, params); conv2dBackpropInput(dy, w, dx, params);
 * conv2dBackpropFilter(x, dy, dw, params); the depthwise* variants take the same arguments */
static napi_value js_conv(napi_env env, napi_callback_info info, int which) {
  ARGS(4);
  F32(0, p0, l0); F32(1, p1, l1); F32(2, p2, l2);
  cn_conv_t c;
  if (!get_conv(env, argv[3], &c)) FAIL("conv: bad params");
  CONV_SIZES(c);
  if (which >= 3 && (c.inC == 0 || c.outC % c.inC != 0)) FAIL("depthwise: outC must be a multiple of inC");
  if (which >= 3) ws = c.fh * c.fw * c.outC; /* depthwise filter [fh, fw, inC, mult] */
  if (which == 0) {
    if ((int64_t)l0 < xs || (int64_t)l1 < ws || (int64_t)l2 < ys) FAIL("conv2d: array too short");
    if (cn_conv2d(&c, p0, p1, p2) != 0) FAIL("conv2d: out of memory");
  } else if (which == 1) {
    if ((int64_t)l0 < ys || (int64_t)l1 < ws || (int64_t)l2 < xs) FAIL("conv2dBackpropInput: array too short");
    if (cn_conv2d_backprop_input(&c, p0, p1, p2) != 0) FAIL("conv2dBackpropInput: out of memory");
  } else if (which == 2) {
    if ((int64_t)l0 < xs || (int64_t)l1 < ys || (int64_t)l2 < ws) FAIL("conv2dBackpropFilter: array too short");
    if (cn_conv2d_backprop_filter(&c, p0, p1, p2) != 0) FAIL("conv2dBackpropFilter: out of memory");
  } else if (which == 3) {
    if ((int64_t)l0 < xs || (int64_t)l1 < ws || (int64_t)l2 < ys) FAIL("depthwise: array too short");
    cn_depthwise(&c, p0, p1, p2);
  } else if (which == 4) {
    if ((int64_t)l0 < ys || (int64_t)l1 < ws || (int64_t)l2 < xs) FAIL("depthwiseBackpropInput: array too short");
    cn_depthwise_backprop_input(&c, p0, p1, p2);
  } else {
    if ((int64_t)l0 < xs || (int64_t)l1 < ys || (int64_t)l2 < ws) FAIL("depthwiseBackpropFilter: array too short");
    cn_depthwise_backprop_filter(&c, p0, p1, p2);
  }
  return undefined(env);
}
static napi_value js_conv2d(napi_env env, napi_callback_info i) { return js_conv(env, i, 0); }
static napi_value js_conv2d_bi(napi_env env, napi_callback_info i) { return js_conv(env, i, 1); }
static napi_value js_conv2d_bf(napi_env env, napi_callback_info i) { return js_conv(env, i, 2); }
static napi_value js_dw(napi_env env, napi_callback_info i) { return js_conv(env, i, 3); }
static napi_value js_dw_bi(napi_env env, napi_callback_info i) { return js_conv(env, i, 4); }
static napi_value js_dw_bf(napi_env env, napi_callback_info i) { return js_conv(env, i, 5); }

/* pool(x, y, params, isAvg) — params as conv with outC = inC */
static napi_value js_pool(napi_env env, napi_callback_info info) {
  ARGS(4);
  F32(0, x, lx); F32(1, y, ly);
  cn_conv_t c;
  if (!get_conv(env, argv[2], &c)) FAIL("pool: bad params");
  CONV_SIZES(c);
  (void)ws;
  if ((int64_t)lx < xs || (int64_t)ly < ys) FAIL("pool: array too short");
  if (cn_pool(&c, (int)get_int(env, argv[3]), x, y) != 0) FAIL("pool: out of memory");
  return undefined(env);
}

/* maxPoolGrad(x, dy, dx, params) */
static napi_value js_max_pool_grad(napi_env env, napi_callback_info info) {
  ARGS(4);
  F32(0, x, lx); F32(1, dy, ldy); F32(2, dx, ldx);
  cn_conv_t c;
  if (!get_conv(env, argv[3], &c)) FAIL("maxPoolGrad: bad params");
  CONV_SIZES(c);
  (void)ws;
  if ((int64_t)lx < xs || (int64_t)ldy < ys || (int64_t)ldx < xs) FAIL("maxPoolGrad: array too short");
  cn_max_pool_grad(&c, x, dy, dx);
  return undefined(env);
}

/* setBlasThreads(n) -> the thread count in effect (benchmarks; the backend runs on one) */
static napi_value js_set_blas_threads(napi_env env, napi_callback_info info) {
  ARGS(1);
  napi_value r;
  CALL(napi_create_int32(env, cn_blas_set_threads((int)get_int(env, argv[0])), &r));
  return r;
}

/* adam(w, m, v, g, wOut, mOut, vOut, [beta1, 1-beta1, beta2, 1-beta2, 1-beta1^t, 1-beta2^t, eps, -lr]) */
static napi_value js_adam(napi_env env, napi_callback_info info) {
  ARGS(8);
  F32(0, w, lw); F32(1, m, lm); F32(2, v, lv); F32(3, g, lg);
  F32(4, wOut, lwo); F32(5, mOut, lmo); F32(6, vOut, lvo);
  uint32_t k = 0;
  if (napi_get_array_length(env, argv[7], &k) != napi_ok || k != 8) FAIL("adam: need 8 scalars");
  float s[8];
  for (uint32_t i = 0; i < 8; i++) {
    napi_value e;
    CALL(napi_get_element(env, argv[7], i, &e));
    s[i] = (float)get_num(env, e);
  }
  if (lm != lw || lv != lw || lg != lw || lwo != lw || lmo != lw || lvo != lw)
    FAIL("adam: arrays differ in length");
  const cn_adam_t p = {s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]};
  cn_adam(w, m, v, g, (int64_t)lw, &p, wOut, mOut, vOut);
  return undefined(env);
}

static napi_value init(napi_env env, napi_value exports) {
  cn_blas_init();
  napi_property_descriptor props[] = {
#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}
      FN("info", js_info),
      FN("sgemm", js_sgemm),
      FN("batchMatMul", js_batch_matmul),
      FN("biasAct", js_bias_act),
      FN("binary", js_binary),
      FN("unary", js_unary),
      FN("reduce", js_reduce),
      FN("softmax", js_softmax),
      FN("gather", js_gather),
      FN("transpose", js_transpose),
      FN("tile", js_tile),
      FN("slice", js_slice),
      FN("batchNorm", js_batch_norm),
      FN("segmentSum", js_segment_sum),
      FN("conv2d", js_conv2d),
      FN("conv2dBackpropInput", js_conv2d_bi),
      FN("conv2dBackpropFilter", js_conv2d_bf),
      FN("depthwiseConv2d", js_dw),
      FN("depthwiseConv2dBackpropInput", js_dw_bi),
      FN("depthwiseConv2dBackpropFilter", js_dw_bf),
      FN("pool", js_pool),
      FN("maxPoolGrad", js_max_pool_grad),
      FN("adam", js_adam),
      FN("setBlasThreads", js_set_blas_threads),
#undef FN
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
