import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { NATIVE_AVAILABLE, randArray, rng } from '../../backend/native/testing.js';
import { loadBackend } from '../../backend/select.js';
import { makeOptimizer } from '../fit.js';
import { describeOutputs } from '../outputs.js';
import { expectEngineBits, stepOf } from './testing.js';
import { trainingStepFor, type TrainingStep } from './training-step.js';

const IMAGE = [11, 13, 2];
const CLASSES = 4;

/** A LeNet-like chain on odd-sized images covering every conv and pooling variant the fast step replays. */
function makeLeNet(): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: IMAGE, filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }), // 11x13x4
    tf.layers.maxPooling2d({ poolSize: 2 }), // 5x6x4
    tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', useBias: false }), // 3x4x6
    tf.layers.conv2d({ filters: 5, kernelSize: 2, strides: 2, padding: 'same' }), // linear: 2x2x5
    tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }), // 2x2x5
    tf.layers.flatten(),
    tf.layers.dense({ units: 8, activation: 'relu' }),
    tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
  ] });
}

/** Batches of 16 images then a short one of 10 (the last batch of an epoch). */
async function train(step: TrainingStep, steps: number, seed: number): Promise<number[]> {
  const r = rng(seed);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const rows = i % 3 === 2 ? 10 : 16;
    const labels = Int32Array.from({ length: rows }, () => Math.floor(r() * CLASSES));
    const xs = tf.tensor4d(randArray(r, rows * IMAGE[0]! * IMAGE[1]! * IMAGE[2]!, 0, 1), [rows, IMAGE[0]!, IMAGE[1]!, IMAGE[2]!]);
    const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES));
    const { loss, correct } = await step.run(xs, ys, labels);
    out.push(loss, correct);
    tf.dispose([xs, ys]);
  }
  return out;
}

describe('engine-free training step of conv chains', () => {
  beforeAll(async () => {
    if (NATIVE_AVAILABLE) await loadBackend('native');
  });
  afterEach(async () => {
    if (tf.getBackend() !== 'native' && tf.findBackendFactory('native')) await tf.setBackend('native');
  });

  it('gives the engine path\'s losses, weights and Adam state, bit for bit', async (ctx) => {
    requireNativeAddon(ctx);
    const [fastModel, engineModel] = [makeLeNet(), makeLeNet()];
    engineModel.setWeights(fastModel.getWeights());
    await expectEngineBits([fastModel, engineModel], [0.01, 0.002], (step, second) => (second ? train(step, 3, 8) : train(step, 5, 7)));
  });

  it('frees the backend tensors it runs kernels on, step after step', async (ctx) => {
    requireNativeAddon(ctx);
    const model = makeLeNet();
    const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.01 });
    const step = stepOf(model, optimizer, true);
    expect(step.path).toBe('fast');
    await train(step, 1, 5); // creates Adam's moments
    // the backend's own count: the step's kernels run outside the engine, which would not see them
    const counts = () => [tf.memory().numTensors, tf.engine().backend.numDataIds()];
    const before = counts();
    await train(step, 4, 6);
    expect(counts()).toEqual(before);
    optimizer.dispose();
  });

  it('takes the engine path, with the reason, for conv settings it does not replay', async (ctx) => {
    requireNativeAddon(ctx);
    const reasonFor = (first: tf.layers.Layer, pool: tf.layers.Layer = tf.layers.maxPooling2d({ poolSize: 2 })) => {
      const model = tf.sequential({ layers: [first, pool, tf.layers.flatten(), tf.layers.dense({ units: 3, activation: 'softmax' })] });
      const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.01 });
      const step = trainingStepFor({ model, optimizer, outputs: describeOutputs(model) });
      optimizer.dispose();
      return step.path === 'engine' ? step.reason : 'fast';
    };
    type ConvArgs = Parameters<typeof tf.layers.conv2d>[0];
    const conv = (extra: Partial<ConvArgs> = {}) => tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 3, kernelSize: 3, activation: 'relu', ...extra });
    expect(reasonFor(conv())).toBe('fast');
    expect(reasonFor(conv({ useBias: false, activation: 'linear', strides: 2, padding: 'same' }))).toBe('fast');
    expect(reasonFor(conv({ inputShape: [2, 9, 9], dataFormat: 'channelsFirst' }), tf.layers.maxPooling2d({ poolSize: 2, dataFormat: 'channelsFirst' })))
      .toMatch(/conv2d.*channelsFirst/);
    expect(reasonFor(conv({ dilationRate: 2 }))).toMatch(/dilation rate 2,2/);
    expect(reasonFor(conv({ activation: 'tanh' }))).toMatch(/activation tanh/);
    expect(reasonFor(conv({ activation: 'elu' }))).toMatch(/activation elu/);
    expect(reasonFor(conv({ kernelRegularizer: tf.regularizers.l2() }))).toMatch(/regularizer/);
    expect(reasonFor(conv(), tf.layers.averagePooling2d({ poolSize: 2 }))).toMatch(/AveragePooling2D layers take the engine path/);
    expect(reasonFor(tf.layers.depthwiseConv2d({ inputShape: [9, 9, 2], kernelSize: 3 }))).toMatch(/DepthwiseConv2D layers/);
  });
});
