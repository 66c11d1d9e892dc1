/**
 * Conv2DBackpropFilter for the wasm backend (the filter gradient of tf.conv2d), which
 * @tensorflow/tfjs-backend-wasm 4.22 lacks.
 *
 * dW[kh, kw, ci, co] = sum over n, i, j of x[n, i*s + kh*d - pad, j*s + kw*d - pad, ci] * dy[n, i, j, co],
 * computed as one im2col gather (channel-first patches [Cin*KH*KW, N*Ho*Wo]) and one matMul with
 * dy reshaped to [N*Ho*Wo, Cout] on XNNPACK.
 */
import * as tf from '@tensorflow/tfjs';
import { channelFirstPatches } from './im2col.js';
import { composeKernel, dilationPair, geometry, type WasmKernelArgs } from './tensor-util.js';

/** Kernel function: inputs {x, dy}; attrs {strides, pad, dataFormat, dimRoundingMode, filterShape}. */
export function conv2dBackpropFilter(args: WasmKernelArgs): tf.TensorInfo {
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs & { dilations?: unknown };
  return composeKernel(args, ({ x, dy }) => {
    let x4 = x as tf.Tensor4D;
    let dy4 = dy as tf.Tensor4D;
    if (attrs.dataFormat === 'NCHW') {
      x4 = tf.transpose(x4, [0, 2, 3, 1]);
      dy4 = tf.transpose(dy4, [0, 2, 3, 1]);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x4.shape, attrs.filterShape, attrs.strides, dilationPair(attrs.dilations), attrs.pad,
      attrs.dimRoundingMode, false, 'channelsLast',
    );
    const g = geometry(info);
    const [fh, fw, cin, cout] = attrs.filterShape;
    const positions = g.batch * g.outH * g.outW;
    const patches = tf.reshape(channelFirstPatches(x4, g), [cin * fh * fw, positions]);
    const dW = tf.matMul(patches, tf.reshape(dy4, [positions, cout]));
    if (cin === 1) return tf.reshape(dW, [fh, fw, cin, cout]);
    return tf.transpose(tf.reshape(dW, [cin, fh, fw, cout]), [1, 2, 0, 3]);
  });
}

/** Registration record for {@link conv2dBackpropFilter}. */
export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
};
