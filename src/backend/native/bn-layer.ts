/**
 * tf.layers' batchNormalization in training, on the native backend, through one forward and
 * one backward kernel (./bn-train.ts) instead of tf.moments + tf.batchNorm: that composition
 * and its gradients were ~12 full passes per activation and about half of a MobileNet-style
 * training step (bench/profile-step.mjs --model mobilenet).
 *
 * tfjs-layers computes the moments through its own module object of tfjs-core, with no hook per
 * backend, so this wraps the layer class's `call` once: in training, on the native backend, for
 * a float32 input normalized over its last axis with gamma and beta, it runs the fused kernels
 * and updates the moving averages exactly as tfjs-layers does; every other call (inference,
 * other backends, other axes) is tfjs-layers' own.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrainFits, batchNormTraining } from './bn-train.js';
import { oneTensor, replaceLayerCall } from './layer-call.js';

/** The fields of tfjs-layers' BatchNormalization this reads (not in its public typings). */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/** tfjs-layers' moving-average update: variable - (variable - value) * (1 - momentum). */
function updateMovingAverage(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const orig = variable.read();
    variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - momentum)));
  });
}

/** True when this call can run on the fused kernels. */
function fusable(layer: BatchNormLayer, input: tf.Tensor | undefined, training: unknown): input is tf.Tensor {
  if (!training || !input || tf.getBackend() !== 'native' || !layer.gamma || !layer.beta) return false;
  const rank = input.shape.length;
  const axis = layer.axis >= 0 ? layer.axis : layer.axis + rank;
  // ranks 2-4: those tfjs-layers' own training path takes
  return rank >= 2 && rank <= 4 && axis === rank - 1 && batchNormTrainFits(input, layer.gamma.read(), layer.beta.read());
}

/**
 * Makes tf.layers.batchNormalization train on the native kernels when the native backend is
 * current (see the module comment). Idempotent; other backends are unaffected.
 */
export function useNativeBatchNormTraining(): void {
  replaceLayerCall<BatchNormLayer>('BatchNormalization', Symbol.for('condense.nativeBatchNormTraining'), (stock) => function (inputs, kwargs) {
    const input = oneTensor(inputs);
    if (!fusable(this, input, kwargs?.training)) return stock.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTraining(input, this.gamma!.read(), this.beta!.read(), this.epsilon);
      updateMovingAverage(this.movingMean, mean!, this.momentum);
      updateMovingAverage(this.movingVariance, variance!, this.momentum);
      return y!;
    });
  });
}
