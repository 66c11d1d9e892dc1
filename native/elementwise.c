/* Binary elementwise, gather, transpose, tile, slice and segment-sum kernels (float32 / 4-byte);
 * the unary ops are in unary.c, reductions and softmax in reduce.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

/* ---------------- binary ops with broadcasting ---------------- */

static inline float cn_fmax(float x, float y) { return (x != x || y != y) ? NAN : (x > y ? x : y); }
static inline float cn_fmin(float x, float y) { return (x != x || y != y) ? NAN : (x < y ? x : y); }

#define ROW_LOOP(EXPR)                                                        \
  if (sa && sb) { for (int64_t j = 0; j < n; j++) { const float x = a[j], y = b[j]; out[j] = (EXPR); } } \
  else if (sa) { const float y = b[0]; for (int64_t j = 0; j < n; j++) { const float x = a[j]; out[j] = (EXPR); } } \
  else if (sb) { const float x = a[0]; for (int64_t j = 0; j < n; j++) { const float y = b[j]; out[j] = (EXPR); } } \
  else { const float x = a[0], y = b[0]; const float v = (EXPR); for (int64_t j = 0; j < n; j++) out[j] = v; }

static void binary_row(int op, const float *restrict a, int sa, const float *restrict b, int sb,
                       float *restrict out, int64_t n) {
  switch (op) {
    case CN_ADD: ROW_LOOP(x + y); break;
    case CN_SUB: ROW_LOOP(x - y); break;
    case CN_MUL: ROW_LOOP(x * y); break;
    case CN_DIV: ROW_LOOP(x / y); break;
    case CN_MAX: ROW_LOOP(cn_fmax(x, y)); break;
    case CN_MIN: ROW_LOOP(cn_fmin(x, y)); break;
    /* in double like the JS kernels: (x - y) squared rounds once */
    case CN_SQDIFF: ROW_LOOP((float)(((double)x - y) * ((double)x - y))); break;
    default: break;
  }
}


typedef struct {
  int op;
  const float *a, *b;
  float *out;
  const int64_t *d, *da, *db; /* merged dims and strides; rows are d[r - 1] long */
  int r;
} binary_job_t;

/* Rows shorter than this, of a [rows, n] op whose one operand is the same row for every row (a
 * bias), run as long rows against that row tiled: one call per block instead of one per row. */
#define SHORT_ROW 64
#define TILE_FLOATS 512

/* Rows [lo, hi) of such an op: `whole` is the [rows, n] operand, `row` the repeated one. */
static void binary_tiled_rows(const binary_job_t *j, int64_t lo, int64_t hi, int rowIsB) {
  const int64_t n = j->d[1], per = TILE_FLOATS / n;
  const float *row = rowIsB ? j->b : j->a, *whole = rowIsB ? j->a : j->b;
  float tile[TILE_FLOATS];
  for (int64_t k = 0; k < per; k++) memcpy(tile + k * n, row, sizeof(float) * (size_t)n);
  for (int64_t r0 = lo; r0 < hi; r0 += per) {
    const int64_t len = ((hi - r0 < per) ? hi - r0 : per) * n;
    const float *w = whole + r0 * n;
    if (rowIsB) binary_row(j->op, w, 1, tile, 1, j->out + r0 * n, len);
    else binary_row(j->op, tile, 1, w, 1, j->out + r0 * n, len);
  }
}

/* Output rows [lo, hi) of a broadcasting binary op (each row is computed alike wherever cut). */
static void binary_rows(void *ctx, int64_t lo, int64_t hi) {
  const binary_job_t *j = ctx;
  const int r = j->r;
  if (r == 2 && j->d[1] < SHORT_ROW && j->da[1] == 1 && j->db[1] == 1) {
    if (j->db[0] == 0 && j->da[0] == j->d[1]) { binary_tiled_rows(j, lo, hi, 1); return; }
    if (j->da[0] == 0 && j->db[0] == j->d[1]) { binary_tiled_rows(j, lo, hi, 0); return; }
  }
  const int64_t n = j->d[r - 1];
  const int sa = j->da[r - 1] != 0, sb = j->db[r - 1] != 0;
  int64_t idx[CN_MAX_RANK] = {0};
  int64_t offA = 0, offB = 0;
  for (int64_t k = r - 2, rest = lo; k >= 0; k--) { /* the multi-index of row lo */
    idx[k] = rest % j->d[k];
    rest /= j->d[k];
    offA += idx[k] * j->da[k];
    offB += idx[k] * j->db[k];
  }
  for (int64_t row = lo; row < hi; row++) {
    binary_row(j->op, j->a + offA, sa, j->b + offB, sb, j->out + row * n, n);
    for (int k = r - 2; k >= 0; k--) {
      idx[k]++;
      offA += j->da[k];
      offB += j->db[k];
      if (idx[k] < j->d[k]) break;
      offA -= j->da[k] * j->d[k];
      offB -= j->db[k] * j->d[k];
      idx[k] = 0;
    }
  }
}

/* Blocks [lo, hi) of 4096 elements of a single-row binary op. */
static void binary_blocks(void *ctx, int64_t lo, int64_t hi) {
  const binary_job_t *j = ctx;
  const int64_t begin = lo * 4096, end = hi * 4096 < j->d[0] ? hi * 4096 : j->d[0];
  const int sa = j->da[0] != 0, sb = j->db[0] != 0;
  binary_row(j->op, j->a + (sa ? begin : 0), sa, j->b + (sb ? begin : 0), sb, j->out + begin, end - begin);
}

void cn_binary(int op, const float *a, const int64_t *ashape, const float *b,
               const int64_t *bshape, float *out, const int64_t *oshape, int rank) {
  /* strides (0 on broadcast dims), then drop size-1 dims and merge contiguous ones */
  int64_t as[CN_MAX_RANK], bs[CN_MAX_RANK], os[CN_MAX_RANK];
  int64_t accA = 1, accB = 1;
  for (int i = rank - 1; i >= 0; i--) {
    as[i] = ashape[i] == 1 ? 0 : accA;
    bs[i] = bshape[i] == 1 ? 0 : accB;
    accA *= ashape[i];
    accB *= bshape[i];
  }
  int64_t d[CN_MAX_RANK], da[CN_MAX_RANK], db[CN_MAX_RANK];
  int r = 0;
  int64_t total = 1;
  for (int i = 0; i < rank; i++) {
    total *= oshape[i];
    if (oshape[i] == 1) continue;
    if (r > 0 && da[r - 1] == as[i] * oshape[i] && db[r - 1] == bs[i] * oshape[i]) {
      d[r - 1] *= oshape[i];
      da[r - 1] = as[i];
      db[r - 1] = bs[i];
    } else {
      d[r] = oshape[i]; da[r] = as[i]; db[r] = bs[i]; r++;
    }
  }
  (void)os;
  if (total == 0) return;
  if (r == 0) { binary_row(op, a, 0, b, 0, out, 1); return; }
  binary_job_t job = {op, a, b, out, d, da, db, r};
  if (r == 1) { /* one long row: cut it into blocks */
    cn_parallel_range((total + 4095) / 4096, CN_ELEMENT_WORK * (double)total, binary_blocks, &job);
    return;
  }
  cn_parallel_range(total / d[r - 1], CN_ELEMENT_WORK * (double)total, binary_rows, &job);
}

/* ---------------- gather / transpose ---------------- */

int64_t cn_gather(const uint32_t *x, const int32_t *idx, uint32_t *out, int64_t outer,
                  int64_t axisDim, int64_t inner, int64_t nIdx) {
  for (int64_t i = 0; i < nIdx; i++)
    if (idx[i] < 0 || idx[i] >= axisDim) return i + 1;
  for (int64_t o = 0; o < outer; o++) {
    const uint32_t *src = x + o * axisDim * inner;
    uint32_t *dst = out + o * nIdx * inner;
    for (int64_t i = 0; i < nIdx; i++)
      memcpy(dst + i * inner, src + (int64_t)idx[i] * inner, sizeof(uint32_t) * (size_t)inner);
  }
  return 0;
}

/* Copies the strided view of x (start offset `off`; per output dim a size and an input stride)
 * into out in row-major order. Size-1 dims are dropped and dims that stay adjacent in x merged,
 * so the innermost run is as long as possible (memcpy when contiguous). */
static void copy_strided(const uint32_t *x, uint32_t *out, int64_t off, const int64_t *dims,
                         const int64_t *strides, int rank) {
  int64_t d[CN_MAX_RANK], s[CN_MAX_RANK], total = 1;
  int r = 0;
  for (int k = 0; k < rank; k++) {
    const int64_t n = dims[k], st = strides[k];
    total *= n;
    if (n == 1) continue;
    if (r > 0 && s[r - 1] == st * n) { d[r - 1] *= n; s[r - 1] = st; }
    else { d[r] = n; s[r] = st; r++; }
  }
  if (total == 0) return;
  if (r == 0) { out[0] = x[off]; return; }
  const int64_t n = d[r - 1], st = s[r - 1];
  int64_t idx[CN_MAX_RANK] = {0};
  for (int64_t o = 0; o < total; o += n) {
    const uint32_t *src = x + off;
    uint32_t *dst = out + o;
    if (st == 1) memcpy(dst, src, sizeof(uint32_t) * (size_t)n);
    else for (int64_t j = 0; j < n; j++) dst[j] = src[j * st];
    for (int k = r - 2; k >= 0; k--) {
      idx[k]++;
      off += s[k];
      if (idx[k] < d[k]) break;
      off -= s[k] * d[k];
      idx[k] = 0;
    }
  }
}

static void row_major_strides(const int64_t *shape, int rank, int64_t *strides) {
  int64_t acc = 1;
  for (int i = rank - 1; i >= 0; i--) { strides[i] = acc; acc *= shape[i]; }
}

void cn_transpose(const uint32_t *x, uint32_t *out, const int64_t *shape, const int64_t *perm,
                  int rank) {
  int64_t istr[CN_MAX_RANK], dims[CN_MAX_RANK], strides[CN_MAX_RANK];
  row_major_strides(shape, rank, istr);
  /* output dim k has size shape[perm[k]] and input stride istr[perm[k]] */
  for (int k = 0; k < rank; k++) { dims[k] = shape[perm[k]]; strides[k] = istr[perm[k]]; }
  copy_strided(x, out, 0, dims, strides, rank);
}

/* Builds the tiled block of dims [k, rank) at `out` from the input block at `x`. */
static void tile_rec(const uint32_t *x, uint32_t *out, const int64_t *shape, const int64_t *reps,
                     const int64_t *inInner, const int64_t *outInner, int k, int rank) {
  const int64_t d = shape[k], r = reps[k];
  if (k == rank - 1) {
    if (d == 1) { const uint32_t v = x[0]; for (int64_t j = 0; j < r; j++) out[j] = v; }
    else for (int64_t j = 0; j < r; j++) memcpy(out + j * d, x, sizeof(uint32_t) * (size_t)d);
    return;
  }
  for (int64_t i = 0; i < d; i++)
    tile_rec(x + i * inInner[k], out + i * outInner[k], shape, reps, inInner, outInner, k + 1, rank);
  const int64_t block = d * outInner[k];
  for (int64_t j = 1; j < r; j++) memcpy(out + j * block, out, sizeof(uint32_t) * (size_t)block);
}

void cn_tile(const uint32_t *x, uint32_t *out, const int64_t *shape, const int64_t *reps, int rank) {
  int64_t inInner[CN_MAX_RANK], outInner[CN_MAX_RANK], in = 1, o = 1;
  for (int k = rank - 1; k >= 0; k--) {
    inInner[k] = in;
    outInner[k] = o;
    in *= shape[k];
    o *= shape[k] * reps[k];
  }
  if (o == 0) return;
  if (rank == 0) { out[0] = x[0]; return; }
  tile_rec(x, out, shape, reps, inInner, outInner, 0, rank);
}

void cn_segment_sum(const float *x, const int32_t *ids, int64_t rows, int64_t inner,
                    int64_t numSegments, float *out) {
  memset(out, 0, sizeof(float) * (size_t)(numSegments * inner));
  for (int64_t r = 0; r < rows; r++) {
    const int64_t id = ids[r];
    if (id < 0 || id >= numSegments) continue; /* dropped, as TensorFlow does */
    const float *restrict src = x + r * inner;
    float *restrict dst = out + id * inner;
    for (int64_t k = 0; k < inner; k++) dst[k] += src[k];
  }
}

void cn_slice(const uint32_t *x, uint32_t *out, const int64_t *shape, const int64_t *begin,
              const int64_t *size, int rank) {
  int64_t istr[CN_MAX_RANK], off = 0;
  row_major_strides(shape, rank, istr);
  for (int i = 0; i < rank; i++) off += begin[i] * istr[i];
  copy_strided(x, out, off, size, istr, rank);
}

void cn_copy_rows(const uint32_t *src, int64_t rows, int64_t row, uint32_t *dst, int64_t dstRow) {
  for (int64_t r = 0; r < rows; r++)
    memcpy(dst + r * dstRow, src + r * row, sizeof(uint32_t) * (size_t)row);
}
