/* 2-D convolution (NHWC) by im2col + GEMM and its two gradients.
 *
 * Images are processed in chunks (the chunk depends on the shape only); the pool's threads take
 * ranges of chunks, each with its own column buffer, so im2col runs in parallel too. Every chunk
 * is the same GEMM call whichever thread runs it. The filter gradient sums over chunks: each of a
 * fixed number of groups of chunks (again from the shape) sums its own, then the groups are added
 * in order, so its result does not depend on the thread count either. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "conv_direct.h"
#include "kernels.h"

/* Budgets (floats) per GEMM call: images are processed in chunks so that the column buffer (1 MB:
 * it stays in L2 between being written and the GEMM reading it) and the chunk of input it is
 * gathered from stay cache-friendly. */
#define COL_BUDGET (256 * 1024)
#define IN_BUDGET (64 * 1024)

static int64_t chunk_images(const cn_conv_t *c) {
  const int64_t per = c->outH * c->outW * c->fh * c->fw * c->inC;
  const int64_t in = c->inH * c->inW * c->inC;
  int64_t n = per > 0 ? COL_BUDGET / per : c->batch;
  if (in > 0 && IN_BUDGET / in < n) n = IN_BUDGET / in;
  if (n < 1) n = 1;
  if (n > c->batch) n = c->batch;
  return n;
}

#define MAX_GROUPS 8

typedef struct {
  const cn_conv_t *c;
  const float *in, *w; /* x (forward, filter gradient) or dy (input gradient); w or dy */
  float *out;
  float **partial;     /* filter gradient: the sum of group g > 0 */
  int64_t chunk, chunks;
  int parts;
  atomic_int status;
} conv_job_t;

/* Ranges of chunks for the pool: 1 part (then the GEMMs inside run in parallel) below the grain. */
static int conv_parts(const cn_conv_t *c, int64_t chunks) {
  const double work = 2.0 * (double)c->batch * (double)(c->outH * c->outW) *
                      (double)(c->fh * c->fw * c->inC) * (double)c->outC;
  return cn_parts_for(work, chunks < MAX_GROUPS ? (int)chunks : MAX_GROUPS);
}

/* Runs part(job, p) over job->parts parts (directly when 1); the first failure's status. */
static int conv_run(conv_job_t *job, cn_part_fn part) {
  atomic_init(&job->status, CN_OK);
  if (job->parts == 1) part(job, 0);
  else cn_parallel(job->parts, part, job);
  return atomic_load(&job->status);
}

static void fail(conv_job_t *job, int rc) {
  int ok = CN_OK;
  if (rc != CN_OK) atomic_compare_exchange_strong(&job->status, &ok, rc);
}

/* Images [b0, b0 + nb) of chunk k. */
static void chunk_images_of(const conv_job_t *job, int64_t k, int64_t *b0, int64_t *nb) {
  *b0 = k * job->chunk;
  *nb = job->c->batch - *b0 < job->chunk ? job->c->batch - *b0 : job->chunk;
}

static void forward_part(void *ctx, int part) {
  conv_job_t *job = ctx;
  const cn_conv_t *c = job->c;
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW;
  int64_t lo, hi;
  cn_part_range(job->chunks, job->parts, part, 1, &lo, &hi);
  float *colT = cn_alloc((size_t)(job->chunk * P * K), sizeof(float));
  if (!colT) { fail(job, CN_ENOMEM); return; }
  const int rows = cn_conv_use_rows(c);
  for (int64_t k = lo; k < hi && atomic_load(&job->status) == CN_OK; k++) {
    int64_t b0, nb;
    chunk_images_of(job, k, &b0, &nb);
    if (rows) cn_rows_im2col(c, (float *)job->in, b0, nb, colT, 0);
    else cn_im2col_t(c, job->in, b0, nb, colT);
    /* y[P', outC] = col [P', K] * w [K, outC] (col = colT^T) */
    fail(job, cn_sgemm(!rows, 0, nb * P, c->outC, K, 1.0f, colT, rows ? K : nb * P, job->w,
                       c->outC, 0.0f, job->out + b0 * P * c->outC, c->outC));
  }
  free(colT);
}

int cn_conv2d(const cn_conv_t *c, const float *x, const float *w, float *y) {
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW;
  if (cn_conv_is_pointwise(c))
    return cn_sgemm(0, 0, c->batch * P, c->outC, K, 1.0f, x, K, w, c->outC, 0.0f, y, c->outC);
  if (cn_direct_conv_fits(c, 0)) return cn_conv2d_direct(c, x, w, y);
  if (c->batch == 0) return CN_OK;
  conv_job_t job = {.c = c, .in = x, .w = w, .out = y, .chunk = chunk_images(c)};
  job.chunks = (c->batch + job.chunk - 1) / job.chunk;
  job.parts = conv_parts(c, job.chunks);
  return conv_run(&job, forward_part);
}

static void backprop_input_part(void *ctx, int part) {
  conv_job_t *job = ctx;
  const cn_conv_t *c = job->c;
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW, image = c->inH * c->inW * c->inC;
  int64_t lo, hi;
  cn_part_range(job->chunks, job->parts, part, 1, &lo, &hi);
  if (hi <= lo) return;
  int64_t first, last, nb;
  chunk_images_of(job, lo, &first, &nb);
  chunk_images_of(job, hi - 1, &last, &nb);
  memset(job->out + first * image, 0, sizeof(float) * (size_t)((last + nb - first) * image));
  float *colT = cn_alloc((size_t)(job->chunk * P * K), sizeof(float));
  if (!colT) { fail(job, CN_ENOMEM); return; }
  for (int64_t k = lo; k < hi && atomic_load(&job->status) == CN_OK; k++) {
    int64_t b0;
    chunk_images_of(job, k, &b0, &nb);
    const float *dyb = job->in + b0 * P * c->outC;
    int rc;
    if (cn_conv_use_rows(c)) {
      /* col[P', K] = dy [P', outC] * w^T [outC, K] */
      rc = cn_sgemm(0, 1, nb * P, K, c->outC, 1.0f, dyb, c->outC, job->w, c->outC, 0.0f, colT, K);
      if (rc == CN_OK) cn_rows_im2col(c, job->out, b0, nb, colT, 1);
    } else {
      /* colT[K, P'] = w [K, outC] * dy^T [outC, P'] */
      rc = cn_sgemm(0, 1, K, nb * P, c->outC, 1.0f, job->w, c->outC, dyb, c->outC, 0.0f, colT, nb * P);
      if (rc == CN_OK) cn_col2im_t(c, colT, b0, nb, job->out);
    }
    fail(job, rc);
  }
  free(colT);
}

int cn_conv2d_backprop_input(const cn_conv_t *c, const float *dy, const float *w, float *dx) {
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW;
  if (cn_conv_is_pointwise(c))
    return cn_sgemm(0, 1, c->batch * P, K, c->outC, 1.0f, dy, c->outC, w, c->outC, 0.0f, dx, K);
  if (c->batch == 0) return CN_OK;
  conv_job_t job = {.c = c, .in = dy, .w = w, .out = dx, .chunk = chunk_images(c)};
  job.chunks = (c->batch + job.chunk - 1) / job.chunk;
  job.parts = conv_parts(c, job.chunks);
  return conv_run(&job, backprop_input_part);
}

/* Group `part` sums the filter gradients of its chunks into dw (group 0) or its partial. */
static void backprop_filter_part(void *ctx, int part) {
  conv_job_t *job = ctx;
  const cn_conv_t *c = job->c;
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW;
  float *sum = part == 0 ? job->out : job->partial[part];
  int64_t lo, hi;
  cn_part_range(job->chunks, job->parts, part, 1, &lo, &hi);
  if (hi <= lo) { memset(sum, 0, sizeof(float) * (size_t)(K * c->outC)); return; }
  float *colT = cn_alloc((size_t)(job->chunk * P * K), sizeof(float));
  if (!colT) { fail(job, CN_ENOMEM); return; }
  const int rows = cn_conv_use_rows(c);
  for (int64_t k = lo; k < hi && atomic_load(&job->status) == CN_OK; k++) {
    int64_t b0, nb;
    chunk_images_of(job, k, &b0, &nb);
    if (rows) cn_rows_im2col(c, (float *)job->in, b0, nb, colT, 0);
    else cn_im2col_t(c, job->in, b0, nb, colT);
    /* sum[K, outC] (+)= colT [K, P'] * dy [P', outC] (colT = col^T) */
    fail(job, cn_sgemm(rows, 0, K, c->outC, nb * P, 1.0f, colT, rows ? K : nb * P,
                       job->w + b0 * P * c->outC, c->outC, k == lo ? 0.0f : 1.0f, sum, c->outC));
  }
  free(colT);
}

int cn_conv2d_backprop_filter(const cn_conv_t *c, const float *x, const float *dy, float *dw) {
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW, n = K * c->outC;
  if (cn_conv_is_pointwise(c))
    return cn_sgemm(1, 0, K, c->outC, c->batch * P, 1.0f, x, K, dy, c->outC, 0.0f, dw, c->outC);
  if (c->batch == 0) { memset(dw, 0, sizeof(float) * (size_t)n); return CN_OK; }
  if (cn_direct_conv_fits(c, 1)) return cn_conv2d_backprop_filter_direct(c, x, dy, dw);
  float *partial[MAX_GROUPS] = {0};
  conv_job_t job = {.c = c, .in = x, .w = dy, .out = dw, .partial = partial, .chunk = chunk_images(c)};
  job.chunks = (c->batch + job.chunk - 1) / job.chunk;
  job.parts = conv_parts(c, job.chunks);
  float *buf = job.parts > 1 ? cn_alloc((size_t)((job.parts - 1) * n), sizeof(float)) : NULL;
  if (job.parts > 1 && !buf) return CN_ENOMEM;
  for (int g = 1; g < job.parts; g++) partial[g] = buf + (g - 1) * n;
  const int rc = conv_run(&job, backprop_filter_part);
  for (int g = 1; g < job.parts && rc == CN_OK; g++)
    for (int64_t i = 0; i < n; i++) dw[i] += partial[g][i];
  free(buf);
  return rc;
}
