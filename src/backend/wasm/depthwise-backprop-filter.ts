/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (the filter gradient of
 * tf.depthwiseConv2d, used by tf.layers.depthwiseConv2d and separableConv2d).
 *
 * dW[kh, kw, c, m] = sum over n, i, j of x[n, i*s + kh*d - pad, j*s + kw*d - pad, c] * dy[n, i, j, c*M + m],
 * computed as one im2col gather (channel-first patches [C, KH*KW, N*Ho*Wo]) and one matMul per
 * channel (batched over C) with dy rearranged to [C, N*Ho*Wo, M].
 */
import * as tf from '@tensorflow/tfjs';
import { channelFirstPatches } from './im2col.js';
import { composeKernel, dilationPair, geometry, type WasmKernelArgs } from './tensor-util.js';

/** Kernel function: inputs {x, dy}; attrs {strides, dilations, pad, dimRoundingMode, filterShape}. */
export function depthwiseConv2dNativeBackpropFilter(args: WasmKernelArgs): tf.TensorInfo {
  const attrs = (args.attrs ?? {}) as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  return composeKernel(args, ({ x, dy }) => {
    const x4 = x as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(
      x4.shape, attrs.filterShape, attrs.strides, dilationPair(attrs.dilations), attrs.pad,
      attrs.dimRoundingMode, true,
    );
    const g = geometry(info);
    const [fh, fw, channels, mult] = attrs.filterShape;
    const positions = g.batch * g.outH * g.outW;
    const patches = channelFirstPatches(x4, g); // [C, T, P]
    if (mult === 1) {
      // Per channel a matrix-vector product: multiply by dy^T [C, 1, P] and reduce the innermost axis.
      const dyc = tf.reshape(tf.transpose(tf.reshape(dy, [positions, channels])), [channels, 1, positions]);
      const dW = tf.sum(tf.mul(patches, dyc), 2); // [C, T]
      return tf.reshape(tf.transpose(dW), [fh, fw, channels, 1]);
    }
    const dyc = tf.transpose(tf.reshape(dy, [positions, channels, mult]), [1, 0, 2]); // [C, P, M]
    const dW = tf.matMul(patches, dyc); // [C, T, M]
    return tf.reshape(tf.transpose(dW, [1, 0, 2]), [fh, fw, channels, mult]);
  });
}

/** Registration record for {@link depthwiseConv2dNativeBackpropFilter}. */
export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as tf.KernelFunc,
};
