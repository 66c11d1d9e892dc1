/* 2-D convolution (NHWC) by im2col + GEMM, its two gradients, and pooling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
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

static int is_pointwise(const cn_conv_t *c) {
  return c->fh == 1 && c->fw == 1 && c->sh == 1 && c->sw == 1 && c->padTop == 0 &&
         c->padLeft == 0 && c->outH == c->inH && c->outW == c->inW;
}

/* Output columns [lo, hi) whose input column ow * sw - padLeft + kw * dw is inside the image. */
static void valid_cols(const cn_conv_t *c, int64_t kw, int64_t *lo, int64_t *hi) {
  const int64_t off = kw * c->dw - c->padLeft; /* iw = ow * sw + off */
  int64_t l = off >= 0 ? 0 : (-off + c->sw - 1) / c->sw;
  int64_t h = c->inW - off <= 0 ? 0 : (c->inW - off + c->sw - 1) / c->sw;
  if (h > c->outW) h = c->outW;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

/* Transposed im2col: colT[(kh, kw, ci), (b, oh, ow)] for images [b0, b0 + nb). Each row is a
 * strided copy of input rows, so there is no per-pixel call overhead even for 1 input channel. */
static void im2col_t(const cn_conv_t *c, const float *x, int64_t b0, int64_t nb, float *colT) {
  const int64_t P = nb * c->outH * c->outW, OW = c->outW, step = c->sw * c->inC;
  for (int64_t kh = 0; kh < c->fh; kh++)
    for (int64_t kw = 0; kw < c->fw; kw++) {
      int64_t lo, hi;
      valid_cols(c, kw, &lo, &hi);
      const int64_t off = kw * c->dw - c->padLeft;
      for (int64_t ci = 0; ci < c->inC; ci++) {
        float *row = colT + ((kh * c->fw + kw) * c->inC + ci) * P;
        for (int64_t b = 0; b < nb; b++)
          for (int64_t oh = 0; oh < c->outH; oh++) {
            float *restrict dst = row + (b * c->outH + oh) * OW;
            const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
            if (ih < 0 || ih >= c->inH) { memset(dst, 0, sizeof(float) * (size_t)OW); continue; }
            const float *restrict src =
                x + (((b0 + b) * c->inH + ih) * c->inW + off) * c->inC + ci;
            for (int64_t ow = 0; ow < lo; ow++) dst[ow] = 0.0f;
            if (step == 1) memcpy(dst + lo, src + lo, sizeof(float) * (size_t)(hi - lo));
            else for (int64_t ow = lo; ow < hi; ow++) dst[ow] = src[ow * step];
            for (int64_t ow = hi; ow < OW; ow++) dst[ow] = 0.0f;
          }
      }
    }
}

/* dx[b, ih, iw, ci] += colT[(kh, kw, ci), (b, oh, ow)] */
static void col2im_t(const cn_conv_t *c, const float *colT, int64_t b0, int64_t nb, float *dx) {
  const int64_t P = nb * c->outH * c->outW, OW = c->outW, step = c->sw * c->inC;
  for (int64_t kh = 0; kh < c->fh; kh++)
    for (int64_t kw = 0; kw < c->fw; kw++) {
      int64_t lo, hi;
      valid_cols(c, kw, &lo, &hi);
      const int64_t off = kw * c->dw - c->padLeft;
      for (int64_t ci = 0; ci < c->inC; ci++) {
        const float *row = colT + ((kh * c->fw + kw) * c->inC + ci) * P;
        for (int64_t b = 0; b < nb; b++)
          for (int64_t oh = 0; oh < c->outH; oh++) {
            const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
            if (ih < 0 || ih >= c->inH) continue;
            const float *restrict src = row + (b * c->outH + oh) * OW;
            float *restrict dst = dx + (((b0 + b) * c->inH + ih) * c->inW + off) * c->inC + ci;
            for (int64_t ow = lo; ow < hi; ow++) dst[ow * step] += src[ow];
          }
      }
    }
}

/* Row im2col: col[(b, oh, ow), (kh, kw, ci)], for convolutions whose filter rows are long
 * (fw * inC >= ROW_MIN floats): each (pixel, kh) is then one contiguous run of input when the
 * window is inside the image, and the GEMMs take col untransposed. `add`: col2im, dx += col. */
#define ROW_MIN 16
static int use_rows(const cn_conv_t *c) { return c->fw * c->inC >= ROW_MIN; }

static void rows_im2col(const cn_conv_t *c, float *x, int64_t b0, int64_t nb, float *col, int add) {
  const int64_t C = c->inC, run = c->fw * C, K = c->fh * run;
  for (int64_t b = 0; b < nb; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        float *restrict row = col + ((b * c->outH + oh) * c->outW + ow) * K;
        const int64_t iw0 = ow * c->sw - c->padLeft;
        const int whole = c->dw == 1 && iw0 >= 0 && iw0 + c->fw <= c->inW;
        for (int64_t kh = 0; kh < c->fh; kh++) {
          float *restrict r = row + kh * run;
          const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
          if (ih < 0 || ih >= c->inH) { if (!add) memset(r, 0, sizeof(float) * (size_t)run); continue; }
          float *restrict px = x + (((b0 + b) * c->inH + ih) * c->inW) * C;
          if (whole) {
            float *restrict src = px + iw0 * C;
            if (add) for (int64_t j = 0; j < run; j++) src[j] += r[j];
            else memcpy(r, src, sizeof(float) * (size_t)run);
            continue;
          }
          for (int64_t kw = 0; kw < c->fw; kw++) {
            const int64_t iw = iw0 + kw * c->dw;
            float *restrict rr = r + kw * C, *restrict src = px + iw * C;
            const int in = iw >= 0 && iw < c->inW;
            if (add) { if (in) for (int64_t ci = 0; ci < C; ci++) src[ci] += rr[ci]; }
            else if (in) memcpy(rr, src, sizeof(float) * (size_t)C);
            else memset(rr, 0, sizeof(float) * (size_t)C);
          }
        }
      }
}

int cn_conv2d(const cn_conv_t *c, const float *x, const float *w, float *y) {
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW;
  if (is_pointwise(c))
    return cn_sgemm(0, 0, c->batch * P, c->outC, K, 1.0f, x, K, w, c->outC, 0.0f, y, c->outC);
  const int64_t chunk = chunk_images(c);
  float *colT = cn_alloc((size_t)(chunk * P * K), sizeof(float));
  if (!colT) return CN_ENOMEM;
  int rc = CN_OK;
  for (int64_t b0 = 0; b0 < c->batch && rc == CN_OK; b0 += chunk) {
    const int64_t nb = c->batch - b0 < chunk ? c->batch - b0 : chunk;
    const int rows = use_rows(c);
    if (rows) rows_im2col(c, (float *)x, b0, nb, colT, 0);
    else im2col_t(c, x, b0, nb, colT);
    /* y[P', outC] = col [P', K] * w [K, outC] (col = colT^T) */
    rc = cn_sgemm(!rows, 0, nb * P, c->outC, K, 1.0f, colT, rows ? K : nb * P, w, c->outC, 0.0f,
                  y + b0 * P * c->outC, c->outC);
  }
  free(colT);
  return rc;
}

int cn_conv2d_backprop_input(const cn_conv_t *c, const float *dy, const float *w, float *dx) {
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW;
  if (is_pointwise(c))
    return cn_sgemm(0, 1, c->batch * P, K, c->outC, 1.0f, dy, c->outC, w, c->outC, 0.0f, dx, K);
  memset(dx, 0, sizeof(float) * (size_t)(c->batch * c->inH * c->inW * c->inC));
  const int64_t chunk = chunk_images(c);
  float *colT = cn_alloc((size_t)(chunk * P * K), sizeof(float));
  if (!colT) return CN_ENOMEM;
  int rc = CN_OK;
  for (int64_t b0 = 0; b0 < c->batch && rc == CN_OK; b0 += chunk) {
    const int64_t nb = c->batch - b0 < chunk ? c->batch - b0 : chunk;
    const float *dyb = dy + b0 * P * c->outC;
    if (use_rows(c)) {
      /* col[P', K] = dy [P', outC] * w^T [outC, K] */
      rc = cn_sgemm(0, 1, nb * P, K, c->outC, 1.0f, dyb, c->outC, w, c->outC, 0.0f, colT, K);
      if (rc == CN_OK) rows_im2col(c, dx, b0, nb, colT, 1);
      continue;
    }
    /* colT[K, P'] = w [K, outC] * dy^T [outC, P'] */
    rc = cn_sgemm(0, 1, K, nb * P, c->outC, 1.0f, w, c->outC, dyb, c->outC, 0.0f, colT, nb * P);
    if (rc == CN_OK) col2im_t(c, colT, b0, nb, dx);
  }
  free(colT);
  return rc;
}

int cn_conv2d_backprop_filter(const cn_conv_t *c, const float *x, const float *dy, float *dw) {
  const int64_t K = c->fh * c->fw * c->inC, P = c->outH * c->outW;
  if (is_pointwise(c))
    return cn_sgemm(1, 0, K, c->outC, c->batch * P, 1.0f, x, K, dy, c->outC, 0.0f, dw, c->outC);
  if (c->batch == 0) { memset(dw, 0, sizeof(float) * (size_t)(K * c->outC)); return CN_OK; }
  const int64_t chunk = chunk_images(c);
  float *colT = cn_alloc((size_t)(chunk * P * K), sizeof(float));
  if (!colT) return CN_ENOMEM;
  int rc = CN_OK;
  for (int64_t b0 = 0; b0 < c->batch && rc == CN_OK; b0 += chunk) {
    const int64_t nb = c->batch - b0 < chunk ? c->batch - b0 : chunk;
    const int rows = use_rows(c);
    if (rows) rows_im2col(c, (float *)x, b0, nb, colT, 0);
    else im2col_t(c, x, b0, nb, colT);
    /* dw[K, outC] (+)= colT [K, P'] * dy [P', outC] (colT = col^T) */
    rc = cn_sgemm(rows, 0, K, c->outC, nb * P, 1.0f, colT, rows ? K : nb * P, dy + b0 * P * c->outC,
                  c->outC, b0 == 0 ? 0.0f : 1.0f, dw, c->outC);
  }
  free(colT);
  return rc;
}

/* Pooling windows follow TF.js's cpu backend: only in-bounds pixels, first strict max wins. */
int cn_pool(const cn_conv_t *c, int isAvg, const float *x, float *y) {
  const int64_t C = c->inC;
  double *acc = cn_alloc((size_t)C, sizeof(double));
  if (!acc) return CN_ENOMEM;
  for (int64_t b = 0; b < c->batch; b++)
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
  return CN_OK;
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
