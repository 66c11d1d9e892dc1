/**
 * Gradients condense replaces in tfjs-core, for every backend.
 *
 * A vectorised gradient for Tile. tfjs-core's own Tile gradient adds up one slice of dy per
 * repetition in a JS loop (rank ≤ 4 only), which makes the backward pass of
 * tf.layers.layerNormalization (it tiles gamma and beta to the full [batch, length, dim] shape) cost
 * thousands of kernel calls per step. This one reshapes dy to [r0, d0, r1, d1, ...] and sums the
 * repetition axes in one Sum kernel, for any rank.
 *
 * Gradients are registered per kernel, not per backend, so this applies to every backend once
 * registered; the values are the same as tfjs-core's up to float32 summation order.
 */
import * as tf from '@tensorflow/tfjs';

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

/**
 * Registers condense's gradients in place of tfjs-core's (idempotent). {@link loadBackend} calls
 * it for every backend: with tfjs-core's Tile gradient, one training step of a model with layer
 * normalization ran ~33,000 Slice kernels on the native and cpu backends.
 */
export function registerFastGradients(): void {
  if (tf.getGradient(tf.Tile) !== tileGradConfig) tf.registerGradient(tileGradConfig);
}
