/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (the filter gradient of
 * tf.depthwiseConv2d, used by tf.layers.depthwiseConv2d and separableConv2d).
 *
 * dW[kh, kw, c, m] = sum over n, i, j of x[n, i*s + kh*d - pad, j*s + kw*d - pad, c] * dy[n, i, j, c*M + m],
 * computed from im2col patches (a JS loop over wasm memory): with M = 1 as one broadcast multiply
 * by dyᵀ and an innermost-axis sum; otherwise as a matMul batched over channels,
 * [C, KH*KW, N*Ho*Wo] x [C, N*Ho*Wo, M].
 */
import * as tf from '@tensorflow/tfjs';
import { patches } from './im2col.js';
import { composeKernel, dilationPair, geometry, type WasmKernelArgs } from './tensor-util.js';

/** Kernel function: inputs {x, dy}; attrs {strides, dilations, pad, dimRoundingMode, filterShape}. */
function depthwiseConv2dNativeBackpropFilter(args: WasmKernelArgs): tf.TensorInfo {
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
    if (mult === 1) {
      // Per channel a matrix-vector product: multiply by dy^T [1, C, P] and reduce the innermost axis.
      const cols = patches(x4, g, 'tcm', args.backend); // [T, C, P]
      const dyc = tf.reshape(tf.transpose(tf.reshape(dy!, [positions, channels])), [1, channels, positions]);
      return tf.reshape(tf.sum(tf.mul(cols, dyc), 2), [fh, fw, channels, 1]);
    }
    const cols = patches(x4, g, 'ctm', args.backend); // [C, T, P]
    const dyc = tf.transpose(tf.reshape(dy!, [positions, channels, mult]), [1, 0, 2]); // [C, P, M]
    const dW = tf.matMul(cols, dyc); // [C, T, M]
    return tf.reshape(tf.transpose(dW, [1, 0, 2]), [fh, fw, channels, mult]);
  });
}

/** Registration record for {@link depthwiseConv2dNativeBackpropFilter}. */
export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as tf.KernelFunc,
};
