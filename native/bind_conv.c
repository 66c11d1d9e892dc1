/* N-API bindings of the convolution, depthwise convolution, pooling and Adam kernels. */
#include "bindings.h"

static const char *const PARAM_NAMES[15] = {
    "batch", "inH", "inW", "inC", "outH", "outW", "outC", "fh", "fw",
    "sh", "sw", "dh", "dw", "padTop", "padLeft"};

/* params: [batch, inH, inW, inC, outH, outW, outC, fh, fw, sh, sw, dh, dw, padTop, padLeft];
 * sizes >= 0, strides and dilations >= 1, paddings of either sign. 0 after throwing. */
static int conv_arg(napi_env env, const char *fn, napi_value v, cn_conv_t *c) {
  bool is = false;
  uint32_t n = 0;
  if (napi_is_array(env, v, &is) != napi_ok || !is || napi_get_array_length(env, v, &n) != napi_ok || n != 15) {
    throwf(env, fn, "params must be an array of 15 integers");
    return 0;
  }
  int64_t p[15];
  for (uint32_t i = 0; i < 15; i++) {
    napi_value e;
    char label[32];
    snprintf(label, sizeof label, "params.%s", PARAM_NAMES[i]);
    const int64_t lo = i >= 13 ? -CN_DIM_MAX : (i >= 9 ? 1 : 0);
    if (napi_get_element(env, v, i, &e) != napi_ok || !int_arg(env, fn, e, label, lo, CN_DIM_MAX, &p[i]))
      return 0;
  }
  *c = (cn_conv_t){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
  return 1;
}

/* Element counts of the input, output and filter; -1 where they overflow. */
typedef struct { int64_t x, y, w, col; } conv_sizes_t;
static conv_sizes_t conv_sizes(const cn_conv_t *c, int depthwise) {
  conv_sizes_t s;
  s.x = cmul(cmul(c->batch, c->inH), cmul(c->inW, c->inC));
  s.y = cmul(cmul(c->batch, c->outH), cmul(c->outW, c->outC));
  s.w = depthwise ? cmul(cmul(c->fh, c->fw), c->outC) : cmul(cmul(c->fh, c->fw), cmul(c->inC, c->outC));
  s.col = cmul(cmul(c->outH, c->outW), cmul(cmul(c->fh, c->fw), c->inC)); /* im2col per image */
  return s;
}

enum { CONV, CONV_BI, CONV_BF, DW, DW_BI, DW_BF };
/* name, and the names of the three arrays; which holds x-, y- and w-sized data per variant */
static const struct { const char *name, *a0, *a1, *a2; char k0, k1, k2; } CONV_VARIANTS[] = {
    {"conv2d", "x", "filter", "y", 'x', 'w', 'y'},
    {"conv2dBackpropInput", "dy", "filter", "dx", 'y', 'w', 'x'},
    {"conv2dBackpropFilter", "x", "dy", "dw", 'x', 'y', 'w'},
    {"depthwiseConv2d", "x", "filter", "y", 'x', 'w', 'y'},
    {"depthwiseConv2dBackpropInput", "dy", "filter", "dx", 'y', 'w', 'x'},
    {"depthwiseConv2dBackpropFilter", "x", "dy", "dw", 'x', 'y', 'w'},
};

static int64_t size_of_kind(const conv_sizes_t *s, char k) { return k == 'x' ? s->x : k == 'y' ? s->y : s->w; }

/* Reads argument i as a Float32Array of at least `need` elements; NULL after throwing. */
static float *conv_array(napi_env env, const char *fn, napi_value v, const char *name, int64_t need) {
  size_t len = 0;
  float *data = typed4(env, v, &len, napi_float32_array);
  if (!data) { throwf(env, fn, "%s must be a Float32Array", name); return NULL; }
  if (need < 0) { throwf(env, fn, "the sizes for %s overflow 64 bits", name); return NULL; }
  if ((int64_t)len < need) {
    throwf(env, fn, "%s has %lld elements, needs %lld", name, (long long)len, (long long)need);
    return NULL;
  }
  return data;
}

static napi_value js_conv(napi_env env, napi_callback_info info, int which) {
  ARGS(CONV_VARIANTS[which].name, 4);
  cn_conv_t c;
  if (!conv_arg(env, fn, argv[3], &c)) return NULL;
  const int depthwise = which >= DW;
  if (depthwise && (c.inC == 0 || c.outC % c.inC != 0))
    FAILF("params.outC (%lld) must be a positive multiple of params.inC (%lld)", (long long)c.outC, (long long)c.inC);
  const conv_sizes_t s = conv_sizes(&c, depthwise);
  if (s.col < 0) FAILF("params describe an im2col buffer that overflows 64 bits");
  float *p0 = conv_array(env, fn, argv[0], CONV_VARIANTS[which].a0, size_of_kind(&s, CONV_VARIANTS[which].k0));
  if (!p0) return NULL;
  float *p1 = conv_array(env, fn, argv[1], CONV_VARIANTS[which].a1, size_of_kind(&s, CONV_VARIANTS[which].k1));
  if (!p1) return NULL;
  float *p2 = conv_array(env, fn, argv[2], CONV_VARIANTS[which].a2, size_of_kind(&s, CONV_VARIANTS[which].k2));
  if (!p2) return NULL;
  switch (which) {
    case CONV: KERNEL(cn_conv2d(&c, p0, p1, p2)); break;
    case CONV_BI: KERNEL(cn_conv2d_backprop_input(&c, p0, p1, p2)); break;
    case CONV_BF: KERNEL(cn_conv2d_backprop_filter(&c, p0, p1, p2)); break;
    case DW: cn_depthwise(&c, p0, p1, p2); break;
    case DW_BI: cn_depthwise_backprop_input(&c, p0, p1, p2); break;
    default: KERNEL(cn_depthwise_backprop_filter(&c, p0, p1, p2)); break;
  }
  return undefined_value(env);
}
static napi_value js_conv2d(napi_env env, napi_callback_info i) { return js_conv(env, i, CONV); }
static napi_value js_conv2d_bi(napi_env env, napi_callback_info i) { return js_conv(env, i, CONV_BI); }
static napi_value js_conv2d_bf(napi_env env, napi_callback_info i) { return js_conv(env, i, CONV_BF); }
static napi_value js_dw(napi_env env, napi_callback_info i) { return js_conv(env, i, DW); }
static napi_value js_dw_bi(napi_env env, napi_callback_info i) { return js_conv(env, i, DW_BI); }
static napi_value js_dw_bf(napi_env env, napi_callback_info i) { return js_conv(env, i, DW_BF); }

/* Pooling keeps the channels: the kernels index input and output with inC. */
#define POOL_PARAMS(i)                                                                       \
  cn_conv_t c;                                                                               \
  if (!conv_arg(env, fn, argv[i], &c)) return NULL;                                          \
  if (c.outC != c.inC)                                                                       \
    FAILF("params.outC (%lld) must equal params.inC (%lld)", (long long)c.outC, (long long)c.inC); \
  const conv_sizes_t s = conv_sizes(&c, 0);

/* pool(x, y, params, isAvg) */
static napi_value js_pool(napi_env env, napi_callback_info info) {
  ARGS("pool", 4);
  POOL_PARAMS(2);
  INT(isAvg, 3, 0, 1);
  F32(x, 0); F32(y, 1);
  NEED(x, s.x);
  NEED(y, s.y);
  KERNEL(cn_pool(&c, (int)isAvg, x, y));
  return undefined_value(env);
}

/* maxPoolGrad(x, dy, dx, params) */
static napi_value js_max_pool_grad(napi_env env, napi_callback_info info) {
  ARGS("maxPoolGrad", 4);
  POOL_PARAMS(3);
  F32(x, 0); F32(dy, 1); F32(dx, 2);
  NEED(x, s.x);
  NEED(dy, s.y);
  NEED(dx, s.x);
  cn_max_pool_grad(&c, x, dy, dx);
  return undefined_value(env);
}

/* adam(w, m, v, g, wOut, mOut, vOut, [beta1, 1-beta1, beta2, 1-beta2, 1-beta1^t, 1-beta2^t, eps, -lr], mask?) */
static napi_value js_adam(napi_env env, napi_callback_info info) {
  ARGS("adam", 8);
  F32(w, 0); F32(m, 1); F32(v, 2); F32(g, 3); F32(wOut, 4); F32(mOut, 5); F32(vOut, 6);
  bool is = false;
  uint32_t k = 0;
  if (napi_is_array(env, argv[7], &is) != napi_ok || !is || napi_get_array_length(env, argv[7], &k) != napi_ok || k != 8)
    FAILF("scalars must be an array of 8 numbers");
  float s[8];
  for (uint32_t i = 0; i < 8; i++) {
    napi_value e;
    double d;
    char label[16];
    snprintf(label, sizeof label, "scalars[%u]", i);
    CALL(napi_get_element(env, argv[7], i, &e));
    if (!num_arg(env, fn, e, label, &d)) return NULL;
    s[i] = (float)d;
  }
  const size_t lens[6] = {m_len, v_len, g_len, wOut_len, mOut_len, vOut_len};
  static const char *const names[6] = {"m", "v", "g", "wOut", "mOut", "vOut"};
  for (int i = 0; i < 6; i++)
    if (lens[i] != w_len)
      FAILF("%s has %lld elements, w has %lld: all seven arrays must have the same length", names[i],
            (long long)lens[i], (long long)w_len);
  const float *mask = NULL;
  if (argc > 8) {
    napi_valuetype t;
    CALL(napi_typeof(env, argv[8], &t));
    if (t != napi_undefined) {
      F32(maskArg, 8);
      if (maskArg_len != w_len) FAILF("mask has %lld elements, w has %lld", (long long)maskArg_len, (long long)w_len);
      mask = maskArg;
    }
  }
  const cn_adam_t p = {s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]};
  cn_adam(w, m, v, g, (int64_t)w_len, &p, mask, wOut, mOut, vOut);
  return undefined_value(env);
}

const cn_binding_t cn_conv_bindings[] = {
    {"conv2d", js_conv2d}, {"conv2dBackpropInput", js_conv2d_bi},
    {"conv2dBackpropFilter", js_conv2d_bf}, {"depthwiseConv2d", js_dw},
    {"depthwiseConv2dBackpropInput", js_dw_bi}, {"depthwiseConv2dBackpropFilter", js_dw_bf},
    {"pool", js_pool}, {"maxPoolGrad", js_max_pool_grad}, {"adam", js_adam},
};
const size_t cn_conv_binding_count = sizeof cn_conv_bindings / sizeof cn_conv_bindings[0];
