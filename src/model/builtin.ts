import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { deriveSeed } from '../util/prng.js';
import type { ModelSpec } from '../recipe/types.js';

/** Builtin architectures and what they are. */
export const BUILTIN_MODELS = {
  mlp: 'dense layers with ReLU (default 784-300-100-10, LeNet-300-100)',
  lenet5: 'LeNet-5: two 5×5 conv + max-pool blocks, dense 120-84, softmax',
  textmlp: 'text classifier of token ids: embedding (dim) → global average pooling → dense ReLU layers (hidden) → softmax',
} as const;

/**
 * Builds a builtin model with seeded initializers (same seed, same weights). Inputs are taken
 * exactly as the data loader gives them (flat pixels in [0, 1], or token ids for textmlp);
 * outputs are class probabilities.
 * @param vocabSize textmlp: embedding rows (token ids 0 … vocabSize − 1): the text dataset's `vocabSize`.
 */
export function buildBuiltinModel(
  spec: ModelSpec, inputShape: number[], numClasses: number, seed: number,
  vocabSize?: number,
): tf.LayersModel {
  let layer = 0;
  const init = () => tf.initializers.glorotUniform({ seed: deriveSeed(seed, `init:${layer++}`) });
  const dense = (units: number, name: string, activation: 'relu' | 'softmax') =>
    tf.layers.dense({ units, activation, name, kernelInitializer: init(), biasInitializer: 'zeros' });
  const model = tf.sequential();
  if (spec.builtin === 'lenet5') {
    const featureSize = inputShape.reduce((a, b) => a * b, 1);
    const side = Math.round(Math.sqrt(featureSize));
    if (side * side !== featureSize) {
      throw new UsageError(`lenet5 needs square single-channel images; examples have ${featureSize} values`);
    }
    const conv = (filters: number, name: string, padding: 'same' | 'valid') =>
      tf.layers.conv2d({ filters, kernelSize: 5, padding, activation: 'relu', name, kernelInitializer: init() });
    model.add(tf.layers.reshape({ targetShape: [side, side, 1], inputShape, name: 'image' }));
    model.add(conv(6, 'conv1', 'same'));
    model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
    model.add(conv(16, 'conv2', 'valid'));
    model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }));
    model.add(tf.layers.flatten({ name: 'flatten' }));
    model.add(dense(120, 'fc1', 'relu'));
    model.add(dense(84, 'fc2', 'relu'));
  } else if (spec.builtin === 'textmlp') {
    if (vocabSize === undefined || inputShape.length !== 1) {
      throw new UsageError('textmlp needs a text dataset of token ids (e.g. dataset: spam-assassin)');
    }
    // Stock layers only, so the exported model loads with a plain tf.loadLayersModel. The
    // embedding casts the float32 ids to int32 itself; padding (id 0) is averaged in like any
    // token (no masking: GlobalAveragePooling1D would need mask support in every consumer).
    const dim = spec.dim ?? 64;
    model.add(tf.layers.embedding({
      inputDim: vocabSize, outputDim: dim, inputLength: inputShape[0], inputShape, name: 'embedding',
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: deriveSeed(seed, `init:${layer++}`) }),
    }));
    model.add(tf.layers.globalAveragePooling1d({ name: 'pool' }));
    (spec.hidden ?? [64]).forEach((units, i) => model.add(dense(units, `dense${i + 1}`, 'relu')));
  } else {
    model.add(tf.layers.inputLayer({ inputShape, name: 'input' }));
    (spec.hidden ?? [300, 100]).forEach((units, i) => model.add(dense(units, `dense${i + 1}`, 'relu')));
  }
  model.add(dense(numClasses, 'output', 'softmax'));
  return model;
}
