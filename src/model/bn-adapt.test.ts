import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers.js';
import type { Dataset } from '../data/types.js';
import { adaptBatchNorm } from './bn-adapt.js';

beforeAll(async () => {
  await useTestBackend();
});

/** 40 random [6, 6, 2] images, shifted and scaled so that BN's initial statistics (0, 1) are wrong. */
function images(): Dataset {
  const x = tf.tidy(() => tf.randomNormal([40, 6, 6, 2], 3, 2, 'float32', 5).dataSync() as Float32Array);
  const split = { x, y: new Int32Array(40), count: 40 };
  return { name: 'synthetic', inputShape: [6, 6, 2], featureSize: 72, numClasses: 2, train: split, test: split, fingerprint: 'synthetic' } as Dataset;
}

/** conv → BN → ReLU → conv → BN (channels first axis for the second: axis 1 of a [n, c, h, w] permute) → pooled Dense. */
function twoBnModel(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2] });
  const conv1 = tf.layers.conv2d({ filters: 3, kernelSize: 3, name: 'conv1', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  const bn1 = tf.layers.batchNormalization({ name: 'bn1' }).apply(conv1) as tf.SymbolicTensor;
  const relu = tf.layers.reLU({}).apply(bn1) as tf.SymbolicTensor;
  const conv2 = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'conv2', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(relu) as tf.SymbolicTensor;
  const permuted = tf.layers.permute({ dims: [3, 1, 2] }).apply(conv2) as tf.SymbolicTensor;
  const bn2 = tf.layers.batchNormalization({ name: 'bn2', axis: 1 }).apply(permuted) as tf.SymbolicTensor;
  const pooled = tf.layers.flatten({}).apply(bn2) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: 'softmax', name: 'out' }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** Per-channel population mean and variance of a layer's input over all of `xs` in one batch. */
function statsOfInput(model: tf.LayersModel, layer: string, xs: tf.Tensor, axis: number) {
  return tf.tidy(() => {
    const input = tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).input as tf.SymbolicTensor }).predict(xs) as tf.Tensor;
    const reduce = [...Array(input.rank).keys()].filter((a) => a !== axis);
    const { mean, variance } = tf.moments(input, reduce);
    return { mean: [...mean.dataSync()], variance: [...variance.dataSync()] };
  });
}

const moving = (model: tf.LayersModel, layer: string) => {
  const [, , mean, variance] = model.getLayer(layer).getWeights();
  return { mean: [...mean!.dataSync()], variance: [...variance!.dataSync()] };
};

const expectClose = (actual: number[], expected: number[]) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 3));
};

describe('BatchNormalization adaptation', () => {
  it('sets every BN layer\'s moving statistics to those of its input as inference computes it, over uneven batches', () => {
    const model = twoBnModel();
    const data = images();
    const kernelBefore = model.getLayer('conv2').getWeights()[0]!.dataSync().slice();
    const done = adaptBatchNorm(model, data, 3, 16);
    expect(done).toEqual({ layers: 2, examples: 40 });
    const xs = tf.tensor(data.train.x as Float32Array, [40, 6, 6, 2]);
    // bn2's input depends on bn1: computed here with bn1 already adapted, in one batch of all 40.
    const first = statsOfInput(model, 'bn1', xs, 3);
    const second = statsOfInput(model, 'bn2', xs, 1);
    expectClose(moving(model, 'bn1').mean, first.mean);
    expectClose(moving(model, 'bn1').variance, first.variance);
    expectClose(moving(model, 'bn2').mean, second.mean);
    expectClose(moving(model, 'bn2').variance, second.variance);
    expect(moving(model, 'bn1').mean.some((m) => Math.abs(m) > 0.1)).toBe(true);
    expect([...model.getLayer('conv2').getWeights()[0]!.dataSync()]).toEqual([...kernelBefore]);
    expect([...model.getLayer('bn1').getWeights()[0]!.dataSync()]).toEqual([1, 1, 1]);
  });

  it('reads only `batches` × `batchSize` examples, and leaves a model without BN as it is', () => {
    const model = twoBnModel();
    const data = images();
    expect(adaptBatchNorm(model, data, 1, 8).examples).toBe(8);
    const xs = tf.tensor(data.train.x as Float32Array, [40, 6, 6, 2]).slice(0, 8);
    expectClose(moving(model, 'bn1').mean, statsOfInput(model, 'bn1', xs, 3).mean);
    const plain = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [6, 6, 2] }), tf.layers.dense({ units: 2 })] });
    expect(adaptBatchNorm(plain, data, 4, 8)).toEqual({ layers: 0, examples: 0 });
  });
});
