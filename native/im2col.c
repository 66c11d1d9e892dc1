/* conv.c's column buffers: im2col (the input patches each output pixel sees, as GEMM rows or
 * columns) and col2im (the sum back into an input gradient), for chunks of images. */
#include <string.h>
#include "kernels.h"

int cn_conv_is_pointwise(const cn_conv_t *c) {
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
void cn_im2col_t(const cn_conv_t *c, const float *x, int64_t b0, int64_t nb, float *colT) {
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
void cn_col2im_t(const cn_conv_t *c, const float *colT, int64_t b0, int64_t nb, float *dx) {
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
int cn_conv_use_rows(const cn_conv_t *c) { return c->fw * c->inC >= ROW_MIN; }

void cn_rows_im2col(const cn_conv_t *c, float *x, int64_t b0, int64_t nb, float *col, int add) {
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

