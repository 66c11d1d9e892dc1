/* 2-D convolution (NHWC) by im2col + GEMM, its two gradients, and pooling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

/* Column buffer budget (floats) per GEMM call: images are processed in chunks of this size. */
#define COL_BUDGET (4 * 1024 * 1024)

static int64_t chunk_images(const cn_conv_t *c) {
  const int64_t per = c->outH * c->outW * c->fh * c->fw * c->inC;
  int64_t n = per > 0 ? COL_BUDGET / per : c->batch;
  if (n < 1) n = 1;
  if (n > c->batch) n = c->batch;
  return n;
}

static int is_pointwise(const cn_conv_t *c) {
  return c->fh == 1 && c->fw == 1 && c->sh == 1 && c->sw == 1 && c->padTop == 0 &&
         c->padLeft == 0 && c->outH == c->inH && c->outW == c->inW;
}

/* col[(b, oh, ow), (kh, kw, ci)] for images [b0, b0 + nb) */
static void im2col(const cn_conv_t *c, const float *x, int64_t b0, int64_t nb, float *col) {
  const int64_t K = c->fh * c->fw * c->inC;
  for (int64_t b = 0; b < nb; b++) {
    const float *img = x + (b0 + b) * c->inH * c->inW * c->inC;
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        float *row = col + ((b * c->outH + oh) * c->outW + ow) * K;
        for (int64_t kh = 0; kh < c->fh; kh++) {
          const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
          for (int64_t kw = 0; kw < c->fw; kw++) {
            const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
            float *dst = row + (kh * c->fw + kw) * c->inC;
            if (ih < 0 || ih >= c->inH || iw < 0 || iw >= c->inW)
              memset(dst, 0, sizeof(float) * (size_t)c->inC);
            else
              memcpy(dst, img + (ih * c->inW + iw) * c->inC, sizeof(float) * (size_t)c->inC);
          }
        }
      }
  }
}

/* dx[b, ih, iw, ci] += col[(b, oh, ow), (kh, kw, ci)] */
static void col2im(const cn_conv_t *c, const float *col, int64_t b0, int64_t nb, float *dx) {
  const int64_t K = c->fh * c->fw * c->inC;
  for (int64_t b = 0; b < nb; b++) {
    float *img = dx + (b0 + b) * c->inH * c->inW * c->inC;
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        const float *row = col + ((b * c->outH + oh) * c->outW + ow) * K;
        for (int64_t kh = 0; kh < c->fh; kh++) {
          const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
          if (ih < 0 || ih >= c->inH) continue;
          for (int64_t kw = 0; kw < c->fw; kw++) {
            const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
            if (iw < 0 || iw >= c->inW) continue;
            const float *src = row + (kh * c->fw + kw) * c->inC;
            float *dst = img + (ih * c->inW + iw) * c->inC;
            for (int64_t ci = 0; ci < c->inC; ci++) dst[ci] += src[ci];
          }
        }
      }
  }
}

void cn_conv2d(const cn_conv_t *c, const float *x, const float *w, float *y) {
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW;
  if (is_pointwise(c)) {
    cn_sgemm(0, 0, c->batch * P, c->outC, K, 1.0f, x, K, w, c->outC, 0.0f, y, c->outC);
    return;
  }
  const int64_t chunk = chunk_images(c);
  float *col = malloc(sizeof(float) * (size_t)(chunk * P * K));
  if (!col) return;
  for (int64_t b0 = 0; b0 < c->batch; b0 += chunk) {
    const int64_t nb = c->batch - b0 < chunk ? c->batch - b0 : chunk;
    im2col(c, x, b0, nb, col);
    cn_sgemm(0, 0, nb * P, c->outC, K, 1.0f, col, K, w, c->outC, 0.0f, y + b0 * P * c->outC,
             c->outC);
  }
  free(col);
}

void cn_conv2d_backprop_input(const cn_conv_t *c, const float *dy, const float *w, float *dx) {
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW;
  if (is_pointwise(c)) {
    cn_sgemm(0, 1, c->batch * P, K, c->outC, 1.0f, dy, c->outC, w, c->outC, 0.0f, dx, K);
    return;
  }
  memset(dx, 0, sizeof(float) * (size_t)(c->batch * c->inH * c->inW * c->inC));
  const int64_t chunk = chunk_images(c);
  float *col = malloc(sizeof(float) * (size_t)(chunk * P * K));
  if (!col) return;
  for (int64_t b0 = 0; b0 < c->batch; b0 += chunk) {
    const int64_t nb = c->batch - b0 < chunk ? c->batch - b0 : chunk;
    cn_sgemm(0, 1, nb * P, K, c->outC, 1.0f, dy + b0 * P * c->outC, c->outC, w, c->outC, 0.0f,
             col, K);
    col2im(c, col, b0, nb, dx);
  }
  free(col);
}

void cn_conv2d_backprop_filter(const cn_conv_t *c, const float *x, const float *dy, float *dw) {
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW;
  if (is_pointwise(c)) {
    cn_sgemm(1, 0, K, c->outC, c->batch * P, 1.0f, x, K, dy, c->outC, 0.0f, dw, c->outC);
    return;
  }
  const int64_t chunk = chunk_images(c);
  float *col = malloc(sizeof(float) * (size_t)(chunk * P * K));
  if (!col) return;
  for (int64_t b0 = 0; b0 < c->batch; b0 += chunk) {
    const int64_t nb = c->batch - b0 < chunk ? c->batch - b0 : chunk;
    im2col(c, x, b0, nb, col);
    cn_sgemm(1, 0, K, c->outC, nb * P, 1.0f, col, K, dy + b0 * P * c->outC, c->outC,
             b0 == 0 ? 0.0f : 1.0f, dw, c->outC);
  }
  if (c->batch == 0) memset(dw, 0, sizeof(float) * (size_t)(K * c->outC));
  free(col);
}

/* Pooling windows follow TF.js's cpu backend: only in-bounds pixels, first strict max wins. */
void cn_pool(const cn_conv_t *c, int isAvg, const float *x, float *y) {
  const int64_t C = c->inC;
  double *acc = malloc(sizeof(double) * (size_t)C);
  if (!acc) return;
  for (int64_t b = 0; b < c->batch; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        float *o = y + ((b * c->outH + oh) * c->outW + ow) * C;
        int64_t count = 0;
        for (int64_t ci = 0; ci < C; ci++) { o[ci] = -INFINITY; acc[ci] = 0.0; }
        for (int64_t kh = 0; kh < c->fh; kh++) {
          const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
          if (ih < 0 || ih >= c->inH) continue;
          for (int64_t kw = 0; kw < c->fw; kw++) {
            const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
            if (iw < 0 || iw >= c->inW) continue;
            const float *px = x + ((b * c->inH + ih) * c->inW + iw) * C;
            count++;
            if (isAvg) for (int64_t ci = 0; ci < C; ci++) acc[ci] += px[ci];
            else for (int64_t ci = 0; ci < C; ci++) if (px[ci] > o[ci]) o[ci] = px[ci];
          }
        }
        if (isAvg) for (int64_t ci = 0; ci < C; ci++) o[ci] = (float)(acc[ci] / (double)count);
      }
  free(acc);
}

void cn_max_pool_grad(const cn_conv_t *c, const float *x, const float *dy, float *dx) {
  const int64_t C = c->inC;
  memset(dx, 0, sizeof(float) * (size_t)(c->batch * c->inH * c->inW * C));
  for (int64_t b = 0; b < c->batch; b++)
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
