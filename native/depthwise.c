/* Depthwise 2-D convolution (NHWC, filters [fh, fw, inC, mult], output channel q = ci * mult + m)
 * and its two gradients, as direct loops whose innermost loop runs over contiguous channels. */
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

void cn_depthwise(const cn_conv_t *c, const float *x, const float *w, float *y) {
  const int64_t Ci = c->inC, Co = c->outC, mult = Co / Ci;
  for (int64_t b = 0; b < c->batch; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        float *restrict o = y + ((b * c->outH + oh) * c->outW + ow) * Co;
        memset(o, 0, sizeof(float) * (size_t)Co);
        for (int64_t kh = 0; kh < c->fh; kh++) {
          const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
          if (ih < 0 || ih >= c->inH) continue;
          for (int64_t kw = 0; kw < c->fw; kw++) {
            const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
            if (iw < 0 || iw >= c->inW) continue;
            const float *restrict px = x + ((b * c->inH + ih) * c->inW + iw) * Ci;
            const float *restrict wr = w + (kh * c->fw + kw) * Co;
            if (mult == 1) for (int64_t q = 0; q < Co; q++) o[q] += px[q] * wr[q];
            else for (int64_t q = 0; q < Co; q++) o[q] += px[q / mult] * wr[q];
          }
        }
      }
}

void cn_depthwise_backprop_input(const cn_conv_t *c, const float *dy, const float *w, float *dx) {
  const int64_t Ci = c->inC, Co = c->outC, mult = Co / Ci;
  memset(dx, 0, sizeof(float) * (size_t)(c->batch * c->inH * c->inW * Ci));
  for (int64_t b = 0; b < c->batch; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        const float *restrict g = dy + ((b * c->outH + oh) * c->outW + ow) * Co;
        for (int64_t kh = 0; kh < c->fh; kh++) {
          const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
          if (ih < 0 || ih >= c->inH) continue;
          for (int64_t kw = 0; kw < c->fw; kw++) {
            const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
            if (iw < 0 || iw >= c->inW) continue;
            float *restrict px = dx + ((b * c->inH + ih) * c->inW + iw) * Ci;
            const float *restrict wr = w + (kh * c->fw + kw) * Co;
            if (mult == 1) for (int64_t q = 0; q < Co; q++) px[q] += g[q] * wr[q];
            else for (int64_t q = 0; q < Co; q++) px[q / mult] += g[q] * wr[q];
          }
        }
      }
}

int cn_depthwise_backprop_filter(const cn_conv_t *c, const float *x, const float *dy, float *dw) {
  const int64_t Ci = c->inC, Co = c->outC, mult = Co / Ci, n = c->fh * c->fw * Co;
  double *acc = cn_calloc((size_t)n, sizeof(double));
  if (!acc) return CN_ENOMEM;
  for (int64_t b = 0; b < c->batch; b++)
    for (int64_t oh = 0; oh < c->outH; oh++)
      for (int64_t ow = 0; ow < c->outW; ow++) {
        const float *restrict g = dy + ((b * c->outH + oh) * c->outW + ow) * Co;
        for (int64_t kh = 0; kh < c->fh; kh++) {
          const int64_t ih = oh * c->sh - c->padTop + kh * c->dh;
          if (ih < 0 || ih >= c->inH) continue;
          for (int64_t kw = 0; kw < c->fw; kw++) {
            const int64_t iw = ow * c->sw - c->padLeft + kw * c->dw;
            if (iw < 0 || iw >= c->inW) continue;
            const float *restrict px = x + ((b * c->inH + ih) * c->inW + iw) * Ci;
            double *restrict a = acc + (kh * c->fw + kw) * Co;
            if (mult == 1) for (int64_t q = 0; q < Co; q++) a[q] += (double)px[q] * g[q];
            else for (int64_t q = 0; q < Co; q++) a[q] += (double)px[q / mult] * g[q];
          }
        }
      }
  for (int64_t i = 0; i < n; i++) dw[i] = (float)acc[i];
  free(acc);
  return CN_OK;
}
