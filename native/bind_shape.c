/* N-API bindings of the gather / transpose / tile / slice / batch norm (inference and training) / segment sum kernels. */
#include "bindings.h"

/* gather(x, indices:Int32Array, out, outer, axisDim, inner) -> 0 or (bad position + 1) */
static napi_value js_gather(napi_env env, napi_callback_info info) {
  ARGS("gather", 6);
  ANY4(x, 0); I32(indices, 1); ANY4(out, 2); DIM(outer, 3); DIM(axisDim, 4); DIM(inner, 5);
  NEED(x, cmul(outer, cmul(axisDim, inner)));
  NEED(out, cmul(outer, cmul((int64_t)indices_len, inner)));
  napi_value r;
  CALL(napi_create_int64(env, cn_gather(x, indices, out, outer, axisDim, inner, (int64_t)indices_len), &r));
  return r;
}

/* transpose(x, out, shape, perm) */
static napi_value js_transpose(napi_env env, napi_callback_info info) {
  ARGS("transpose", 4);
  ANY4(x, 0); ANY4(out, 1); SHAPE(shape, 2); SHAPE(perm, 3);
  if (perm_rank != shape_rank)
    FAILF("perm has %d entries, shape has %d", perm_rank, shape_rank);
  int seen[CN_MAX_RANK] = {0};
  for (int i = 0; i < shape_rank; i++) {
    if (perm[i] >= shape_rank || seen[perm[i]])
      FAILF("perm must be a permutation of 0..%d (perm[%d] is %lld)", shape_rank - 1, i, (long long)perm[i]);
    seen[perm[i]] = 1;
  }
  NEED(x, cprod(shape, shape_rank));
  NEED(out, cprod(shape, shape_rank));
  cn_transpose(x, out, shape, perm, shape_rank);
  return undefined_value(env);
}

/* tile(x, out, shape, reps) for 4-byte elements */
static napi_value js_tile(napi_env env, napi_callback_info info) {
  ARGS("tile", 4);
  ANY4(x, 0); ANY4(out, 1); SHAPE(shape, 2); SHAPE(reps, 3);
  if (reps_rank != shape_rank) FAILF("reps has %d entries, shape has %d", reps_rank, shape_rank);
  int64_t outShape[CN_MAX_RANK];
  for (int i = 0; i < shape_rank; i++) outShape[i] = cmul(shape[i], reps[i]);
  NEED(x, cprod(shape, shape_rank));
  NEED(out, cprod(outShape, shape_rank));
  cn_tile(x, out, shape, reps, shape_rank);
  return undefined_value(env);
}

/* slice(x, out, shape, begin, size) for 4-byte elements */
static napi_value js_slice(napi_env env, napi_callback_info info) {
  ARGS("slice", 5);
  ANY4(x, 0); ANY4(out, 1); SHAPE(shape, 2); SHAPE(begin, 3); SHAPE(size, 4);
  if (begin_rank != shape_rank || size_rank != shape_rank)
    FAILF("shape, begin and size must have the same length (got %d, %d, %d)", shape_rank, begin_rank, size_rank);
  for (int i = 0; i < shape_rank; i++)
    if (begin[i] + size[i] > shape[i])
      FAILF("begin[%d] + size[%d] (%lld) must be <= shape[%d] (%lld)", i, i,
            (long long)(begin[i] + size[i]), i, (long long)shape[i]);
  NEED(x, cprod(shape, shape_rank));
  NEED(out, cprod(size, shape_rank));
  cn_slice(x, out, shape, begin, size, shape_rank);
  return undefined_value(env);
}

/* optional Float32Array argument: NULL with length 0 for null/undefined; 0 when neither */
static int optional_f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_null || t == napi_undefined) { *data = NULL; *len = 0; return 1; }
  *data = typed4(env, v, len, napi_float32_array);
  return *data != NULL;
}

/* batchNorm(x, mean, variance, offset | null, scale | null, epsilon, out) */
static napi_value js_batch_norm(napi_env env, napi_callback_info info) {
  ARGS("batchNorm", 7);
  F32(x, 0); F32(mean, 1); F32(variance, 2); NUM(epsilon, 5); F32(out, 6);
  float *offset = NULL, *scale = NULL;
  size_t offset_len = 0, scale_len = 0;
  if (!optional_f32(env, argv[3], &offset, &offset_len)) FAILF("offset must be a Float32Array or null");
  if (!optional_f32(env, argv[4], &scale, &scale_len)) FAILF("scale must be a Float32Array or null");
  /* parameters are read cyclically, so any non-empty length is in bounds */
  if (mean_len == 0) FAILF("mean must not be empty");
  if (variance_len == 0) FAILF("variance must not be empty");
  if (offset && offset_len == 0) FAILF("offset must not be empty");
  if (scale && scale_len == 0) FAILF("scale must not be empty");
  NEED(out, (int64_t)x_len);
  KERNEL(cn_batch_norm(x, (int64_t)x_len, mean, (int64_t)mean_len, variance, (int64_t)variance_len,
                       offset, (int64_t)offset_len, scale, (int64_t)scale_len, epsilon, out));
  return undefined_value(env);
}

/* batchNormGrad(dy, x, mean, variance, scale | null, epsilon, dx, dmean, dvariance, dscale,
 * doffset): x [rows, C] with every parameter of length C */
static napi_value js_batch_norm_grad(napi_env env, napi_callback_info info) {
  ARGS("batchNormGrad", 11);
  F32(dy, 0); F32(x, 1); F32(mean, 2); F32(variance, 3); NUM(epsilon, 5);
  F32(dx, 6); F32(dmean, 7); F32(dvariance, 8); F32(dscale, 9); F32(doffset, 10);
  float *scale = NULL;
  size_t scale_len = 0;
  if (!optional_f32(env, argv[4], &scale, &scale_len)) FAILF("scale must be a Float32Array or null");
  const int64_t C = (int64_t)mean_len;
  if (C == 0) FAILF("mean must not be empty");
  if ((int64_t)x_len % C != 0) FAILF("x has %lld elements, not a multiple of mean's %lld", (long long)x_len, (long long)C);
  if ((int64_t)variance_len != C) FAILF("variance has %lld elements, needs %lld", (long long)variance_len, (long long)C);
  if (scale && (int64_t)scale_len != C) FAILF("scale has %lld elements, needs %lld", (long long)scale_len, (long long)C);
  NEED(dy, (int64_t)x_len);
  NEED(dx, (int64_t)x_len);
  NEED(dmean, C); NEED(dvariance, C); NEED(dscale, C); NEED(doffset, C);
  KERNEL(cn_batch_norm_grad(dy, x, mean, variance, scale, (int64_t)x_len / C, C, (float)epsilon, dx,
                            dmean, dvariance, dscale, doffset));
  return undefined_value(env);
}

/* Reads optional Float32Array argument `i` of length C into `var` (NULL for null). */
#define OPTIONAL_C(var, i)                                                                  \
  float *var = NULL;                                                                        \
  size_t var##_len = 0;                                                                     \
  if (!optional_f32(env, argv[i], &var, &var##_len)) FAILF(#var " must be a Float32Array or null"); \
  if (var && (int64_t)var##_len != C) FAILF(#var " has %lld elements, needs %lld", (long long)var##_len, (long long)C);

/* batchNormTrain(x, C, scale | null, offset | null, epsilon, y, mean, variance): x [rows, C] */
static napi_value js_batch_norm_train(napi_env env, napi_callback_info info) {
  ARGS("batchNormTrain", 8);
  F32(x, 0); INT(C, 1, 1, CN_DIM_MAX); NUM(epsilon, 4); F32(y, 5); F32(mean, 6); F32(variance, 7);
  OPTIONAL_C(scale, 2); OPTIONAL_C(offset, 3);
  if ((int64_t)x_len % C != 0) FAILF("x has %lld elements, not a multiple of C = %lld", (long long)x_len, (long long)C);
  NEED(y, (int64_t)x_len); NEED(mean, C); NEED(variance, C);
  KERNEL(cn_bn_train(x, (int64_t)x_len / C, C, scale, offset, epsilon, y, mean, variance));
  return undefined_value(env);
}

/* batchNormTrainGrad(dy, x, scale | null, mean, variance, dmean, dvariance, epsilon, dx, dscale,
 * doffset): x [rows, C] with every parameter of length C */
static napi_value js_batch_norm_train_grad(napi_env env, napi_callback_info info) {
  ARGS("batchNormTrainGrad", 11);
  F32(dy, 0); F32(x, 1); F32(mean, 3); F32(variance, 4); F32(dmean, 5); F32(dvariance, 6);
  NUM(epsilon, 7); F32(dx, 8); F32(dscale, 9); F32(doffset, 10);
  const int64_t C = (int64_t)mean_len;
  if (C == 0) FAILF("mean must not be empty");
  OPTIONAL_C(scale, 2);
  if ((int64_t)x_len % C != 0) FAILF("x has %lld elements, not a multiple of mean's %lld", (long long)x_len, (long long)C);
  NEED(dy, (int64_t)x_len); NEED(dx, (int64_t)x_len);
  NEED(variance, C); NEED(dmean, C); NEED(dvariance, C); NEED(dscale, C); NEED(doffset, C);
  KERNEL(cn_bn_train_grad(dy, x, (int64_t)x_len / C, C, scale, mean, variance, dmean, dvariance, epsilon,
                          dx, dscale, doffset));
  return undefined_value(env);
}

/* segmentSum(x, ids, inner, numSegments, out) */
static napi_value js_segment_sum(napi_env env, napi_callback_info info) {
  ARGS("segmentSum", 5);
  F32(x, 0); I32(ids, 1); DIM(inner, 2); DIM(numSegments, 3); F32(out, 4);
  NEED(x, cmul((int64_t)ids_len, inner));
  NEED(out, cmul(numSegments, inner));
  cn_segment_sum(x, ids, (int64_t)ids_len, inner, numSegments, out);
  return undefined_value(env);
}

const cn_binding_t cn_shape_bindings[] = {
    {"gather", js_gather}, {"transpose", js_transpose}, {"tile", js_tile}, {"slice", js_slice},
    {"batchNorm", js_batch_norm}, {"batchNormGrad", js_batch_norm_grad},
    {"batchNormTrain", js_batch_norm_train}, {"batchNormTrainGrad", js_batch_norm_train_grad},
    {"segmentSum", js_segment_sum},
};
const size_t cn_shape_binding_count = sizeof cn_shape_bindings / sizeof cn_shape_bindings[0];
