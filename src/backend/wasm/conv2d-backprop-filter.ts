/**
 * Conv2DBackpropFilter for the wasm backend (the filter gradient of tf.conv2d), which
 * @tensorflow/tfjs-backend-wasm 4.22 lacks.
 *
 * dW[kh, kw, ci, co] = sum over n, i, j of x[n, i*s + kh - pad, j*s + kw - pad, ci] * dy[n, i, j, co],
 * which is itself a convolution, run on the wasm backend's XNNPACK Conv2D: input x transposed to
 * [Cin, H, W, N] (Cin as the batch, N as the channels), filter dy transposed to [Ho, Wo, N, Cout]
 * at dilation s (the forward stride), stride 1; the first KH x KW output positions, transposed
 * back, are dW. (Measured faster here than im2col + GEMM.)
 */
import * as tf from '@tensorflow/tfjs';
import { composeKernel, geometry, type WasmKernelArgs } from './tensor-util.js';

/** Kernel function: inputs {x, dy}; attrs {strides, pad, dataFormat, dimRoundingMode, filterShape}. */
export function conv2dBackpropFilter(args: WasmKernelArgs): tf.TensorInfo {
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  return composeKernel(args, ({ x, dy }) => {
    let x4 = x as tf.Tensor4D;
    let dy4 = dy as tf.Tensor4D;
    if (attrs.dataFormat === 'NCHW') {
      x4 = tf.transpose(x4, [0, 2, 3, 1]);
      dy4 = tf.transpose(dy4, [0, 2, 3, 1]);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x4.shape, attrs.filterShape, attrs.strides, 1, attrs.pad,
      attrs.dimRoundingMode, false, 'channelsLast',
    );
    const g = geometry(info);
    const [fh, fw, cin, cout] = attrs.filterShape;
    // As a convolution: Cin is the batch, N the input channels, dy the [Ho, Wo, N, Cout] filter
    // dilated by the forward stride; the output's first KH x KW positions are dW.
    const needH = fh + (g.outH - 1) * g.strideH;
    const needW = fw + (g.outW - 1) * g.strideW;
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [g.padTop, Math.max(0, needH - g.inH - g.padTop)],
      [g.padLeft, Math.max(0, needW - g.inW - g.padLeft)],
      [0, 0],
    ];
    const xT = tf.transpose(x4, [3, 1, 2, 0]); // [Cin, H, W, N]
    const dyT = tf.transpose(dy4, [1, 2, 0, 3]); // [Ho, Wo, N, Cout]
    const out = tf.conv2d(xT, dyT, 1, pad, 'NHWC', [g.strideH, g.strideW]); // [Cin, >=KH, >=KW, Cout]
    const dW = out.shape[1] === fh && out.shape[2] === fw ? out : tf.slice(out, [0, 0, 0, 0], [cin, fh, fw, cout]);
    return cin === 1 ? tf.reshape(dW, [fh, fw, cin, cout]) : tf.transpose(dW, [1, 2, 0, 3]);
  });
}

/** Registration record for {@link conv2dBackpropFilter}. */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
};
