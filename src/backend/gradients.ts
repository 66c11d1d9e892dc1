/**
 * Gradients condense replaces in tfjs-core, for every backend.
 *
 * A vectorised gradient for Tile. tfjs-core's own Tile gradient adds up one slice of dy per
 * repetition in a JS loop (rank ≤ 4 only), which makes the backward pass of
 * tf.layers.layerNormalization (it tiles gamma and beta to the full [batch, length, dim] shape) cost
 * thousands of kernel calls per step. This one reshapes dy to [r0, d0, r1, d1, ...] and sums the
 * repetition axes in one Sum kernel, for any rank.
 *
 * Gradients for Relu and ClipByValue that run one kernel on the native backend (its
 * `CondenseReluGrad` / `CondenseClipByValueGrad`) where tfjs-core's compose three and five, with
 * the same bits; on every other backend they are tfjs-core's compositions, unchanged. TF.js's
 * per-kernel overhead is much of a small model's training step. Square's gradient likewise
 * (`CondenseSquareGrad`, one kernel for two), and those of FusedBatchNorm and Mean
 * (./norm-gradients.ts), which dominate training with batch normalization, and Softmax's over
 * the last axis (`CondenseSoftmaxGrad`, one kernel for four; attention's softmax is most of a
 * small transformer's elementwise work). Not a gradient, but installed here for the same reason:
 * tf.layers.layerNormalization runs two native kernels on the native backend (./native/layer-norm.ts).
 *
 * Gradients are registered per kernel, not per backend, so this applies to every backend once
 * registered; the values are the same as tfjs-core's up to float32 summation order (Tile) or
 * exactly (the masking gradients).
 */
import * as tf from '@tensorflow/tfjs';
import { installFastLayerNorm } from './native/layer-norm.js';
import { MASK_GRAD_KERNELS } from './native/mask-grad.js';
import { SOFTMAX_GRAD_KERNEL } from './native/reduce.js';
import { NORM_GRAD_CONFIGS } from './norm-gradients.js';

/** Gradient config for the Tile kernel. */
const tileGradConfig: tf.GradConfig = {
  kernelName: tf.Tile,
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const grad = dy as tf.Tensor;
    const x = saved[0]!;
    const { reps } = attrs as unknown as tf.TileAttrs;
    return {
      x: () => {
        const shape: number[] = [];
        const axes: number[] = [];
        x.shape.forEach((d, i) => {
          const r = reps[i] ?? 1;
          if (r > 1) {
            axes.push(shape.length);
            shape.push(r);
          }
          shape.push(d);
        });
        if (axes.length === 0) return tf.reshape(grad, x.shape);
        return tf.reshape(tf.sum(tf.reshape(grad, shape), axes), x.shape);
      },
    };
  },
};

/** `kernel` on the native backend when it is current and has it, for float32 dy and x of one shape; else `composed()`. */
function onNativeOr(kernel: string, dy: tf.Tensor, x: tf.Tensor, attrs: tf.NamedAttrMap, composed: () => tf.Tensor): tf.Tensor {
  const native = tf.getBackend() === 'native' && dy.dtype === 'float32' && x.dtype === 'float32' &&
    dy.size === x.size && tf.getKernel(kernel, 'native') !== undefined;
  return native ? tf.engine().runKernel(kernel, { dy, x }, attrs) as tf.Tensor : composed();
}

/**
 * The gradient of a one-input element-wise kernel (input `x`): dy masked or scaled by x in one
 * native kernel where it can run, else tfjs-core's own composition.
 */
function maskedGradConfig(kernelName: string, native: string, composed: (dy: tf.Tensor, x: tf.Tensor, attrs: tf.NamedAttrMap) => tf.Tensor,
  nativeAttrs: (attrs: tf.NamedAttrMap) => tf.NamedAttrMap = () => ({})): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const grad = dy as tf.Tensor;
      const x = saved[0]!;
      return { x: () => onNativeOr(native, grad, x, nativeAttrs(attrs), () => composed(grad, x, attrs)) };
    },
  };
}

const reluGradConfig = maskedGradConfig(tf.Relu, MASK_GRAD_KERNELS.relu, (dy, x) => tf.mul(dy, tf.cast(tf.step(x), 'float32')));

const clipByValueGradConfig = maskedGradConfig(tf.ClipByValue, MASK_GRAD_KERNELS.clipByValue, (dy, x, attrs) => {
  const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
  return tf.where(tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax)), dy, tf.zerosLike(dy));
}, (attrs) => {
  const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
  return { clipValueMin, clipValueMax };
});

/** Softmax's gradient: one native kernel over the last axis, else tfjs-core's four ops. */
const softmaxGradConfig: tf.GradConfig = {
  kernelName: tf.Softmax,
  outputsToSave: [true],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const grad = dy as tf.Tensor;
    const y = saved[0]!;
    const dim = Number((attrs as unknown as tf.SoftmaxAttrs).dim);
    const composed = () => {
      const dyTimesY = tf.mul(grad, y);
      return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
    };
    const lastAxis = dim === -1 || dim === y.rank - 1;
    return { logits: () => (lastAxis ? onNativeOr(SOFTMAX_GRAD_KERNEL, grad, y, {}, composed) : composed()) };
  },
};

const squareGradConfig = maskedGradConfig(tf.Square, MASK_GRAD_KERNELS.square, (dy, x) => tf.mul(dy, tf.mul(tf.cast(x, 'float32'), 2)));

/**
 * Registers condense's gradients in place of tfjs-core's (idempotent). {@link loadBackend} calls
 * it for every backend: with tfjs-core's Tile gradient, one training step of a model with layer
 * normalization ran ~33,000 Slice kernels on the native and cpu backends.
 */
export function registerFastGradients(): void {
  for (const config of [tileGradConfig, reluGradConfig, clipByValueGradConfig, squareGradConfig, softmaxGradConfig, ...NORM_GRAD_CONFIGS]) {
    if (tf.getGradient(config.kernelName) !== config) tf.registerGradient(config);
  }
  installFastLayerNorm();
}
