/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend (the input gradient of
 * tf.depthwiseConv2d).
 *
 * dx[n, h, w, c] = sum over kh, kw, m, i, j with i*s + kh*d - padTop = h (and likewise for w) of
 * dy[n, i, j, c*M + m] * W[kh, kw, c, m]. Computed as a stride-1 depthwise convolution (the wasm
 * backend's XNNPACK kernel) of dy, zero-stuffed by the stride and padded by (effective filter - 1 -
 * pad), with the spatially flipped filter at the same dilation; with a channel multiplier M > 1 the
 * C*M output channels are then summed in groups of M.
 */
import * as tf from '@tensorflow/tfjs';
import { composeKernel, dilationPair, type WasmKernelArgs } from './tensor-util.js';

/** Inserts `stride - 1` zeros between the rows (axis 1) and columns (axis 2) of an NHWC tensor. */
function zeroStuff(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const spread = tf.pad(tf.reshape(dy, [n, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  const full = tf.reshape(spread, [n, h * sh, w * sw, c]);
  return tf.slice(full, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]) as tf.Tensor4D;
}

/** Pads (positive amounts) or crops (negative amounts) axes 1 and 2 of an NHWC tensor. */
function padOrCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const cropped =
    top < 0 || bottom < 0 || left < 0 || right < 0
      ? tf.slice(t, [0, Math.max(0, -top), Math.max(0, -left), 0], [
          t.shape[0],
          t.shape[1] - Math.max(0, -top) - Math.max(0, -bottom),
          t.shape[2] - Math.max(0, -left) - Math.max(0, -right),
          t.shape[3],
        ])
      : t;
  const pads: Array<[number, number]> = [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]];
  return pads.some(([a, b]) => a > 0 || b > 0) ? tf.pad(cropped, pads) : cropped;
}

/** Kernel function: inputs {dy, filter}; attrs {strides, dilations, pad, dimRoundingMode, inputShape}. */
function depthwiseConv2dNativeBackpropInput(args: WasmKernelArgs): tf.TensorInfo {
  const attrs = (args.attrs ?? {}) as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  return composeKernel(args, ({ dy, filter }) => {
    const f4 = filter as tf.Tensor4D;
    const [fh, fw, channels, mult] = f4.shape;
    const [dh, dw] = dilationPair(attrs.dilations);
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape, f4.shape, attrs.strides, [dh, dw], attrs.pad, attrs.dimRoundingMode, true,
    );
    const effH = (fh - 1) * dh + 1;
    const effW = (fw - 1) * dw + 1;
    const stuffed = zeroStuff(dy as tf.Tensor4D, info.strideHeight, info.strideWidth);
    const top = effH - 1 - info.padInfo.top;
    const left = effW - 1 - info.padInfo.left;
    const bottom = info.inHeight + effH - 1 - top - stuffed.shape[1];
    const right = info.inWidth + effW - 1 - left - stuffed.shape[2];
    const input = padOrCrop(stuffed, top, bottom, left, right);
    const flipped = tf.reshape(tf.reverse(f4, [0, 1]), [fh, fw, channels * mult, 1]);
    const dx = tf.depthwiseConv2d(input, flipped as tf.Tensor4D, 1, 'valid', 'NHWC', [dh, dw]);
    if (mult === 1) return dx;
    const [n, h, w] = dx.shape;
    return tf.sum(tf.reshape(dx, [n, h, w, channels, mult]), 4);
  });
}

/** Registration record for {@link depthwiseConv2dNativeBackpropInput}. */
export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as tf.KernelFunc,
};
