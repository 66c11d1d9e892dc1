/* conv_direct.c: direct convolution kernels for few output channels (see there). */
#ifndef CONDENSE_CONV_DIRECT_H
#define CONDENSE_CONV_DIRECT_H
#include "kernels.h"
/* 1 when the direct kernels take this shape on this CPU (filterGrad: for the filter gradient). */
int cn_direct_conv_fits(const cn_conv_t *c, int filterGrad);
/* Which convolution kernels small-channel shapes get here ("direct-avx512" or "im2col"): they differ in the last bits. */
const char *cn_conv_core(void);
/* Like cn_conv2d / cn_conv2d_backprop_filter, for shapes cn_direct_conv_fits accepts. */
int cn_conv2d_direct(const cn_conv_t *c, const float *x, const float *w, float *y);
int cn_conv2d_backprop_filter_direct(const cn_conv_t *c, const float *x, const float *dy, float *dw);
#endif
