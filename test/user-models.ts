// Small user-style LayersModels for the tests: functional graphs with the layers real models
// use, built with seeded initializers.
import * as tf from '@tensorflow/tfjs';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { modelFiles } from '../src/model/io.js';

const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });

/**
 * MobileNet-style functional model on [28, 28, 1]: Conv2D → BatchNormalization → ReLU, a
 * DepthwiseConv2D block (depthwise → BN → ReLU → pointwise Conv2D → BN) with a residual Add,
 * GlobalAveragePooling2D, Dense softmax (or linear: logits).
 */
export function mobileNetStyle(seed = 1, head: 'softmax' | 'linear' = 'softmax'): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1], name: 'pixels' });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  let x = apply(tf.layers.conv2d({ filters: 12, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'stem', kernelInitializer: glorot(seed) }), input);
  x = apply(tf.layers.batchNormalization({ name: 'stem_bn', momentum: 0.9 }), x);
  x = apply(tf.layers.reLU({ name: 'stem_relu' }), x);
  let y = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'block_dw', depthwiseInitializer: glorot(seed + 1) }), x);
  y = apply(tf.layers.batchNormalization({ name: 'block_dw_bn', momentum: 0.9 }), y);
  y = apply(tf.layers.reLU({ name: 'block_dw_relu' }), y);
  y = apply(tf.layers.conv2d({ filters: 12, kernelSize: 1, useBias: false, name: 'block_pw', kernelInitializer: glorot(seed + 2) }), y);
  y = apply(tf.layers.batchNormalization({ name: 'block_pw_bn', momentum: 0.9 }), y);
  x = apply(tf.layers.add({ name: 'block_add' }), [x, y]);
  x = apply(tf.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const out = apply(tf.layers.dense({ units: 10, activation: head, name: 'classifier', kernelInitializer: glorot(seed + 3) }), x);
  return tf.model({ inputs: input, outputs: out, name: 'mobilenet_style' });
}

/**
 * A functional model with a nested model inside: an inner Sequential (SeparableConv2D → LayerNormalization)
 * used as a layer, concatenated with a plain Conv2D branch, GlobalMaxPooling2D, Dense softmax.
 */
export function nestedModel(seed = 1): tf.LayersModel {
  const inner = tf.sequential({ name: 'encoder' });
  inner.add(tf.layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'sep', inputShape: [28, 28, 1],
    depthwiseInitializer: glorot(seed), pointwiseInitializer: glorot(seed + 1) }));
  inner.add(tf.layers.layerNormalization({ name: 'norm' }));
  const input = tf.input({ shape: [28, 28, 1], name: 'pixels' });
  const a = inner.apply(input) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'side', kernelInitializer: glorot(seed + 2) }).apply(input) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'join' }).apply([a, b]) as tf.SymbolicTensor;
  const pooled = tf.layers.globalMaxPooling2d({ name: 'pool' }).apply(joined) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax', name: 'classifier', kernelInitializer: glorot(seed + 3) }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'nested' });
}

/** Writes a model as model.json + shards into `dir` (created); returns the model.json path. */
export async function writeModel(model: tf.LayersModel, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of await modelFiles(model)) writeFileSync(join(dir, name), bytes);
  return join(dir, 'model.json');
}
