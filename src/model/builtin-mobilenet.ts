import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import type { ModelSpec } from '../recipe/types.js';
import { deriveSeed } from '../util/prng.js';

type Apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => tf.SymbolicTensor;
const apply: Apply = (layer, x) => layer.apply(x) as tf.SymbolicTensor;

/** The image shape mobilenet convolves: `[h, w, c]` as given, `[h, w]` with one channel. */
function imageShape(inputShape: number[]): number[] {
  if (inputShape.length === 3) return inputShape;
  if (inputShape.length === 2) return [...inputShape, 1];
  const side = Math.round(Math.sqrt(inputShape[0] ?? 0));
  if (inputShape.length === 1 && side * side === inputShape[0]) return [side, side, 1];
  throw new UsageError(`mobilenet needs images: examples of shape [h, w, channels], [h, w], or flat square single-channel images; examples have shape [${inputShape.join(', ')}]`);
}

/**
 * A small MobileNet-style functional model from stock layers (so a plain tf.loadLayersModel reads
 * its export): a stride-2 3×3 Conv2D stem → BN → ReLU, then two stages of `layers` residual
 * depthwise-separable blocks (DepthwiseConv2D → BN → ReLU → 1×1 Conv2D → BN, added to the block's
 * input), the second stage at twice the width after a stride-2 separable block, global average
 * pooling and a Dense head. Width `dim` (default 32), `layers` blocks per stage (default 2). On
 * 28×28 inputs the default has about 1.2 M MACs per example.
 */
export function buildMobileNet(spec: ModelSpec, inputShape: number[], numClasses: number, seed: number, task: 'classification' | 'regression'): tf.LayersModel {
  const width = spec.dim ?? 32;
  const blocks = spec.layers ?? 2;
  let n = 0;
  const init = () => tf.initializers.heNormal({ seed: deriveSeed(seed, `init:${n++}`) });
  const bn = (name: string) => tf.layers.batchNormalization({ name });
  const pointwise = (filters: number, name: string) => tf.layers.conv2d({ filters, kernelSize: 1, useBias: false, name, kernelInitializer: init() });
  const depthwise = (name: string, strides = 1) => tf.layers.depthwiseConv2d({ kernelSize: 3, strides, padding: 'same', useBias: false, name, depthwiseInitializer: init() });
  const relu = (name: string) => tf.layers.reLU({ name });
  const input = tf.input({ shape: inputShape, name: 'image' });
  const image = imageShape(inputShape);
  const pixels = image.join() === inputShape.join() ? input : apply(tf.layers.reshape({ targetShape: image, name: 'image_reshape' }), input);
  let x = apply(tf.layers.conv2d({ filters: width, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'stem', kernelInitializer: init() }), pixels);
  x = apply(relu('stem_relu'), apply(bn('stem_bn'), x));
  const residual = (at: string, filters: number) => {
    let y = apply(relu(`${at}_dw_relu`), apply(bn(`${at}_dw_bn`), apply(depthwise(`${at}_dw`), x)));
    y = apply(bn(`${at}_pw_bn`), apply(pointwise(filters, `${at}_pw`), y));
    x = apply(tf.layers.add({ name: `${at}_add` }), [x, y]);
  };
  for (let b = 1; b <= blocks; b++) residual(`block1_${b}`, width);
  x = apply(relu('down_dw_relu'), apply(bn('down_dw_bn'), apply(depthwise('down_dw', 2), x)));
  x = apply(relu('down_pw_relu'), apply(bn('down_pw_bn'), apply(pointwise(2 * width, 'down_pw'), x)));
  for (let b = 1; b <= blocks; b++) residual(`block2_${b}`, 2 * width);
  const pooled = apply(tf.layers.globalAveragePooling2d({ name: 'pool' }), x);
  const head = tf.layers.dense({ units: task === 'regression' ? 1 : numClasses, activation: task === 'regression' ? 'linear' : 'softmax', name: 'output', kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, `init:${n++}`) }) });
  return tf.model({ inputs: input, outputs: apply(head, pooled), name: 'mobilenet' });
}
