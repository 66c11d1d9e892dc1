/* Max and average pooling (NHWC) and the max-pool gradient, parallel over images (each image's
 * outputs are its own, so the thread count changes no bits). */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"
#include "pool_fast.h"

/* Pooling windows follow TF.js's cpu backend: only in-bounds pixels, first strict max wins. */
typedef struct {
  const cn_conv_t *c;
  int isAvg;
  const float *x, *dy;
  float *out;
  atomic_int status;
} pool_job_t;

/* Window reads of the whole batch: the work the pool's grain is compared with. */
static double pool_work(const cn_conv_t *c) {
  return (double)c->batch * (double)(c->outH * c->outW) * (double)(c->fh * c->fw) * (double)c->inC;
}

static void pool_images(void *ctx, int64_t b0, int64_t b1) {
  pool_job_t *job = ctx;
  const cn_conv_t *c = job->c;
  const int isAvg = job->isAvg;
  const float *x = job->x;
  float *y = job->out;
  const int64_t C = c->inC;
  double *acc = cn_alloc((size_t)C, sizeof(double));
  if (!acc) { atomic_store(&job->status, CN_ENOMEM); return; }
  for (int64_t b = b0; b < b1; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        float *restrict o = y + ((b * c->outH + oh) * c->outW + ow) * C;
        int64_t count = 0;
        if (isAvg) for (int64_t ci = 0; ci < C; ci++) acc[ci] = 0.0;
        else for (int64_t ci = 0; ci < C; ci++) o[ci] = -INFINITY;
        for (int64_t kh = 0; kh < c->fh; kh++) {
          const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
          if (ih < 0 || ih >= c->inH) continue;
          for (int64_t kw = 0; kw < c->fw; kw++) {
            const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
            if (iw < 0 || iw >= c->inW) continue;
            const float *restrict px = x + ((b * c->inH + ih) * c->inW + iw) * C;
            count++;
            if (isAvg) for (int64_t ci = 0; ci < C; ci++) acc[ci] += px[ci];
            else for (int64_t ci = 0; ci < C; ci++) o[ci] = px[ci] > o[ci] ? px[ci] : o[ci];
          }
        }
        if (isAvg) for (int64_t ci = 0; ci < C; ci++) o[ci] = (float)(acc[ci] / (double)count);
      }
  free(acc);
}

int cn_pool(const cn_conv_t *c, int isAvg, const float *x, float *y) {
  if (!isAvg && cn_pool2x2_fits(c)) { cn_max_pool_2x2(c, x, y); return CN_OK; }
  pool_job_t job = {.c = c, .isAvg = isAvg, .x = x, .out = y};
  atomic_init(&job.status, CN_OK);
  cn_parallel_range(c->batch, pool_work(c), pool_images, &job);
  return atomic_load(&job.status);
}

static void max_pool_grad_images(void *ctx, int64_t b0, int64_t b1) {
  const pool_job_t *job = ctx;
  const cn_conv_t *c = job->c;
  const float *x = job->x, *dy = job->dy;
  float *dx = job->out;
  const int64_t C = c->inC, image = c->inH * c->inW * C;
  memset(dx + b0 * image, 0, sizeof(float) * (size_t)((b1 - b0) * image));
  for (int64_t b = b0; b < b1; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        const float *g = dy + ((b * c->outH + oh) * c->outW + ow) * C;
        for (int64_t ci = 0; ci < C; ci++) {
          float m = -INFINITY;
          int64_t pos = -1;
          for (int64_t kh = 0; kh < c->fh; kh++) {
            const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
            if (ih < 0 || ih >= c->inH) continue;
            for (int64_t kw = 0; kw < c->fw; kw++) {
              const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
              if (iw < 0 || iw >= c->inW) continue;
              const int64_t p = ((b * c->inH + ih) * c->inW + iw) * C + ci;
              if (x[p] > m) { m = x[p]; pos = p; }
            }
          }
          if (pos >= 0) dx[pos] += g[ci];
        }
      }
}

void cn_max_pool_grad(const cn_conv_t *c, const float *x, const float *dy, float *dx) {
  if (cn_pool2x2_fits(c)) { cn_max_pool_grad_2x2(c, x, dy, dx); return; }
  pool_job_t job = {.c = c, .x = x, .dy = dy, .out = dx};
  cn_parallel_range(c->batch, pool_work(c), max_pool_grad_images, &job);
}
