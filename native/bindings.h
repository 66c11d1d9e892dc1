/* Shared by the N-API binding files: argument reading and checking. Every check that fails
 * throws a JS Error (code ERR_CONDENSE_NATIVE) whose message is "<function>: <argument> ...",
 * and the binding returns.
 * The macros expect `env`, `argv` and `fn` (set by ARGS) in scope. */
#ifndef CONDENSE_BINDINGS_H
#define CONDENSE_BINDINGS_H
#include <math.h>
#include <node_api.h>
#include <stdarg.h>
#include <stdio.h>
#include "kernels.h"

#define MAX_ARGS 16
/* Largest size, leading dimension, stride or padding accepted: BLAS takes 32-bit ints, and
 * products of a few of these stay far from int64 overflow. */
#define CN_DIM_MAX 2147483647LL

static inline void throwf(napi_env env, const char *fn, const char *fmt, ...) {
  char msg[320];
  int n = snprintf(msg, sizeof msg, "%s: ", fn);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
  va_end(ap);
  napi_throw_error(env, "ERR_CONDENSE_NATIVE", msg);
}

static inline void throw_last(napi_env env) {
  const napi_extended_error_info *info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, "ERR_CONDENSE_NATIVE",
                   info && info->error_message ? info->error_message : "N-API call failed");
}

#define CALL(expr)                                                   \
  do {                                                               \
    if ((expr) != napi_ok) { throw_last(env); return NULL; }         \
  } while (0)
#define FAILF(...) do { throwf(env, fn, __VA_ARGS__); return NULL; } while (0)

#define ARGS(name, n)                                                       \
  const char *const fn = (name);                                            \
  size_t argc = MAX_ARGS;                                                   \
  napi_value argv[MAX_ARGS];                                                \
  CALL(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));               \
  if (argc < (n)) FAILF("expected %d arguments, got %d", (int)(n), (int)argc);

/* 4-byte typed array -> data and length; NULL when `v` is not one of the accepted types.
 * want: napi_float32_array, napi_int32_array, or napi_uint32_array for "any 4-byte array".
 * An empty array (whose data pointer N-API may give as NULL) gets a dummy pointer. */
static inline void *typed4(napi_env env, napi_value v, size_t *len, napi_typedarray_type want) {
  static uint32_t empty[1];
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  napi_typedarray_type type;
  void *data = NULL;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &data, &ab, &off) != napi_ok) return NULL;
  const int ok = want == napi_uint32_array
                     ? type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array
                     : type == want;
  if (!ok) return NULL;
  return *len == 0 || !data ? (void *)empty : data;
}

#define TYPED(var, i, want, what)                                            \
  size_t var##_len = 0;                                                      \
  void *var##_raw = typed4(env, argv[i], &var##_len, want);                  \
  if (!var##_raw) FAILF("%s must be %s", #var, what);
#define F32(var, i) TYPED(var, i, napi_float32_array, "a Float32Array") float *var = var##_raw;
#define I32(var, i) TYPED(var, i, napi_int32_array, "an Int32Array") int32_t *var = var##_raw;
#define ANY4(var, i) TYPED(var, i, napi_uint32_array, "a Float32Array or Int32Array") uint32_t *var = var##_raw;

/* Reads an integral number in [lo, hi]; throws naming `name` otherwise. */
static inline int int_arg(napi_env env, const char *fn, napi_value v, const char *name, int64_t lo,
                          int64_t hi, int64_t *out) {
  napi_valuetype t;
  double d = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, &d) != napi_ok) {
    throwf(env, fn, "%s must be an integer, got a non-number", name);
    return 0;
  }
  if (!(d >= (double)lo && d <= (double)hi) || floor(d) != d) {
    throwf(env, fn, "%s must be an integer in [%lld, %lld], got %.17g", name, (long long)lo, (long long)hi, d);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}
#define INT(var, i, lo, hi) \
  int64_t var = 0;          \
  if (!int_arg(env, fn, argv[i], #var, lo, hi, &var)) return NULL;
#define DIM(var, i) INT(var, i, 0, CN_DIM_MAX)

static inline int num_arg(napi_env env, const char *fn, napi_value v, const char *name, double *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, out) != napi_ok) {
    throwf(env, fn, "%s must be a number", name);
    return 0;
  }
  return 1;
}
#define NUM(var, i) \
  double var = 0;   \
  if (!num_arg(env, fn, argv[i], #var, &var)) return NULL;

/* Reads an array of at most CN_MAX_RANK integers in [lo, hi] (names elements "name[k]");
 * returns its length, or -1 after throwing. */
static inline int ints_arg(napi_env env, const char *fn, napi_value v, const char *name, int64_t lo,
                           int64_t hi, int64_t *out) {
  bool is = false;
  uint32_t n = 0;
  if (napi_is_array(env, v, &is) != napi_ok || !is || napi_get_array_length(env, v, &n) != napi_ok ||
      n > CN_MAX_RANK) {
    throwf(env, fn, "%s must be an array of at most %d integers", name, CN_MAX_RANK);
    return -1;
  }
  for (uint32_t k = 0; k < n; k++) {
    napi_value e;
    char label[48];
    snprintf(label, sizeof label, "%s[%u]", name, k);
    if (napi_get_element(env, v, k, &e) != napi_ok || !int_arg(env, fn, e, label, lo, hi, &out[k])) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (!pending) throwf(env, fn, "%s is unreadable", label);
      return -1;
    }
  }
  return (int)n;
}
#define SHAPE(var, i)                                                        \
  int64_t var[CN_MAX_RANK];                                                  \
  const int var##_rank = ints_arg(env, fn, argv[i], #var, 0, CN_DIM_MAX, var); \
  if (var##_rank < 0) return NULL;

/* a * b for non-negative sizes; -1 (sticky) on overflow or when either is -1 */
static inline int64_t cmul(int64_t a, int64_t b) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) return -1;
  return r;
}
static inline int64_t cprod(const int64_t *s, int n) {
  int64_t p = 1;
  for (int i = 0; i < n; i++) p = cmul(p, s[i]);
  return p;
}
/* Elements a rows x width matrix with leading dimension ld spans. */
static inline int64_t span(int64_t rows, int64_t ld, int64_t width) {
  if (rows == 0 || width == 0) return 0;
  const int64_t r = cmul(rows - 1, ld);
  return r < 0 || r > INT64_MAX - width ? -1 : r + width;
}
/* Throws unless typed array `var` has at least `need` elements. */
#define NEED(var, need)                                                                       \
  do {                                                                                        \
    const int64_t need_ = (need);                                                             \
    if (need_ < 0) FAILF("the sizes for %s overflow 64 bits", #var);                          \
    if ((int64_t)var##_len < need_)                                                           \
      FAILF("%s has %lld elements, needs %lld", #var, (long long)var##_len, (long long)need_); \
  } while (0)

/* Throws for a kernel's failure status. */
#define KERNEL(expr)                                                                   \
  do {                                                                                 \
    const int rc_ = (expr);                                                            \
    if (rc_ == CN_ENOMEM) FAILF("out of memory");                                      \
    if (rc_ == CN_ETOOBIG) FAILF("a matrix dimension exceeds BLAS's 32-bit range");    \
    if (rc_ != CN_OK) FAILF("kernel failed (status %d)", rc_);                         \
  } while (0)

static inline napi_value undefined_value(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* Binding registration: each bindings file exports its own table. */
typedef struct {
  const char *name;
  napi_callback fn;
} cn_binding_t;
extern const cn_binding_t cn_shape_bindings[]; /* bind_shape.c */
extern const size_t cn_shape_binding_count;
extern const cn_binding_t cn_conv_bindings[];  /* bind_conv.c */
extern const size_t cn_conv_binding_count;
extern const cn_binding_t cn_row_bindings[];   /* bind_rows.c */
extern const size_t cn_row_binding_count;
#endif
