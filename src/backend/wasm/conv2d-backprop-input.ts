/**
 * A faster Conv2DBackpropInput for the wasm backend (the input gradient of tf.conv2d). The stock
 * wasm kernel is a direct loop: 40 ms of a 109 ms LeNet-5 training step here. At stride 1 the
 * input gradient is itself a convolution, run on the wasm backend's XNNPACK Conv2D:
 *
 *   dx = conv2d(dy, w'), w'[kh, kw, co, ci] = w[fh-1-kh, fw-1-kw, ci, co],
 *   padded fh-1-padTop above and inH-outH+padTop below (likewise left/right),
 *
 * Strided or dilated convolutions, NCHW, and geometries that would need negative padding go to
 * the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { composeKernel, geometry, type WasmKernelArgs } from './tensor-util.js';

/** Wraps the stock wasm Conv2DBackpropInput `stock`; returns the replacement kernel function. */
export function makeConv2DBackpropInput(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const wasmArgs = args as unknown as WasmKernelArgs;
    const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
    const dy = args.inputs.dy as tf.TensorInfo;
    const filter = args.inputs.filter as tf.TensorInfo;
    if (attrs.dataFormat === 'NCHW' || dy.dtype !== 'float32' || filter.dtype !== 'float32') return stock(args);
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape as [number, number, number, number], filter.shape as [number, number, number, number],
      attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast',
    );
    const g = geometry(info);
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [g.filterH - 1 - g.padTop, g.inH - g.outH + g.padTop],
      [g.filterW - 1 - g.padLeft, g.inW - g.outW + g.padLeft],
      [0, 0],
    ];
    if (g.strideH !== 1 || g.strideW !== 1 || g.dilationH !== 1 || g.dilationW !== 1 || pad.flat().some((p) => p < 0)) {
      return stock(args);
    }
    return composeKernel(wasmArgs, ({ dy: d, filter: w }) => {
      const flipped = tf.transpose(tf.reverse(w!, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
      return tf.conv2d(d as tf.Tensor4D, flipped, 1, pad);
    });
  };
}
