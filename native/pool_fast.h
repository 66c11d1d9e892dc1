/* pool_fast.c: max pooling and its gradient for 2x2 windows at stride 2 (see there). */
#ifndef CONDENSE_POOL_FAST_H
#define CONDENSE_POOL_FAST_H
#include "kernels.h"
/* 1 when the 2x2 kernels take this shape on this CPU: every window inside the image. */
int cn_pool2x2_fits(const cn_conv_t *c);
/* Like cn_pool (max) and cn_max_pool_grad for shapes cn_pool2x2_fits accepts. */
void cn_max_pool_2x2(const cn_conv_t *c, const float *x, float *y);
void cn_max_pool_grad_2x2(const cn_conv_t *c, const float *x, const float *dy, float *dx);
#endif
