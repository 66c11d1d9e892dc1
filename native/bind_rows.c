/* N-API bindings of the row kernels of transformer-style training: softmax's gradient, layer
 * normalization and its gradient, and the row copies of Concat. */
#include "bindings.h"

/* softmaxGrad(y, dy, dx, rows, cols) */
static napi_value js_softmax_grad(napi_env env, napi_callback_info info) {
  ARGS("softmaxGrad", 5);
  F32(y, 0); F32(dy, 1); F32(dx, 2); DIM(rows, 3); INT(cols, 4, 1, CN_DIM_MAX);
  NEED(y, cmul(rows, cols));
  NEED(dy, cmul(rows, cols));
  NEED(dx, cmul(rows, cols));
  cn_softmax_grad(y, dy, dx, rows, cols);
  return undefined_value(env);
}

/* layerNorm(x, gamma, beta, eps, y, mean, rstd): x and y [rows, C], gamma and beta [C], mean and rstd [rows] */
static napi_value js_layer_norm(napi_env env, napi_callback_info info) {
  ARGS("layerNorm", 7);
  F32(x, 0); F32(gamma, 1); F32(beta, 2); NUM(eps, 3); F32(y, 4); F32(mean, 5); F32(rstd, 6);
  const int64_t C = (int64_t)gamma_len, rows = (int64_t)mean_len;
  if (C < 1) FAILF("gamma must not be empty");
  NEED(beta, C);
  NEED(x, cmul(rows, C));
  NEED(y, cmul(rows, C));
  NEED(rstd, rows);
  cn_layer_norm(x, gamma, beta, rows, C, (float)eps, y, mean, rstd);
  return undefined_value(env);
}

/* layerNormGrad(dy, x, mean, rstd, gamma, dx, dgamma, dbeta) */
static napi_value js_layer_norm_grad(napi_env env, napi_callback_info info) {
  ARGS("layerNormGrad", 8);
  F32(dy, 0); F32(x, 1); F32(mean, 2); F32(rstd, 3); F32(gamma, 4); F32(dx, 5); F32(dgamma, 6); F32(dbeta, 7);
  const int64_t C = (int64_t)gamma_len, rows = (int64_t)mean_len;
  if (C < 1) FAILF("gamma must not be empty");
  NEED(rstd, rows);
  NEED(dy, cmul(rows, C));
  NEED(x, cmul(rows, C));
  NEED(dx, cmul(rows, C));
  NEED(dgamma, C);
  NEED(dbeta, C);
  KERNEL(cn_layer_norm_grad(dy, x, mean, rstd, gamma, rows, C, dx, dgamma, dbeta));
  return undefined_value(env);
}

/* copyRows(src, rows, row, dst, dstOffset, dstRow): dst[dstOffset + r * dstRow + j] = src[r * row + j] */
static napi_value js_copy_rows(napi_env env, napi_callback_info info) {
  ARGS("copyRows", 6);
  ANY4(src, 0); DIM(rows, 1); DIM(row, 2); ANY4(dst, 3); DIM(dstOffset, 4); DIM(dstRow, 5);
  if (row > dstRow) FAILF("row (%lld) must be <= dstRow (%lld)", (long long)row, (long long)dstRow);
  NEED(src, cmul(rows, row));
  if (rows > 0 && row > 0) NEED(dst, dstOffset + span(rows, dstRow, row));
  cn_copy_rows(src, rows, row, dst + dstOffset, dstRow);
  return undefined_value(env);
}

const cn_binding_t cn_row_bindings[] = {
    {"softmaxGrad", js_softmax_grad}, {"layerNorm", js_layer_norm},
    {"layerNormGrad", js_layer_norm_grad}, {"copyRows", js_copy_rows},
};
const size_t cn_row_binding_count = sizeof cn_row_bindings / sizeof cn_row_bindings[0];
