import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { makeOptimizer, trainingStepFor } from '../../model/fit.js';
import { describeOutputs } from '../../model/outputs.js';
import { loadAddon } from './index.js';
import { NATIVE_AVAILABLE, randArray, rng, setupNative } from './testing.js';

/** The quickstart's MLP (784-300-100-10). */
function quickstartMlp(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 300, activation: 'relu' }),
      tf.layers.dense({ units: 100, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** A tiny conv net: conv, depthwise, batch norm, max pool, conv, dense. */
function tinyConvNet(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** A LeNet-5-shaped chain the engine-free step takes: conv, pool, conv, pool, flatten, dense. */
function lenetChain(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** `steps` Adam steps of condense's own training step (engine-free where it applies) on `threads` threads; every weight's bytes after. */
async function trainFast(make: () => tf.Sequential, inputShape: number[], batch: number, steps: number, threads: number): Promise<Buffer> {
  loadAddon().threads(threads);
  const r = rng(22);
  const model = make();
  model.setWeights(model.getWeights().map((w) => tf.tensor(randArray(r, w.size, -0.2, 0.2), w.shape)));
  const labels = Int32Array.from({ length: batch }, () => Math.floor(r() * 10));
  const x = tf.tensor(randArray(r, batch * inputShape.reduce((a, b) => a * b, 1), 0, 1), [batch, ...inputShape]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const optimizer = makeOptimizer({ name: 'adam', learningRate: 1e-3 });
  const step = trainingStepFor({ model, optimizer, outputs: describeOutputs(model) });
  expect(step.path, step.reason).toBe('fast');
  for (let s = 0; s < steps; s++) await step.run(x, y, labels);
  const out = Buffer.concat(model.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer)));
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return out;
}

/** `steps` Adam steps of `make()` from seeded weights and data on `threads` threads; every weight's bytes after. */
function train(make: () => tf.Sequential, inputShape: number[], batch: number, steps: number, threads: number): Buffer {
  loadAddon().threads(threads);
  const r = rng(21);
  const model = make();
  model.setWeights(model.getWeights().map((w) => tf.tensor(randArray(r, w.size, -0.2, 0.2), w.shape)));
  const x = tf.tensor(randArray(r, batch * inputShape.reduce((a, b) => a * b, 1), 0, 1), [batch, ...inputShape]);
  const y = tf.oneHot(tf.tensor(Array.from({ length: batch }, () => Math.floor(r() * 10)), [batch], 'int32'), 10);
  const opt = tf.train.adam(1e-3);
  for (let s = 0; s < steps; s++) {
    opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)?.dispose();
  }
  const out = Buffer.concat(model.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer)));
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return out;
}

describe('training on the native backend, 1 thread against 2', () => {
  let before = 0;
  beforeAll(async () => {
    if (!NATIVE_AVAILABLE) return;
    await setupNative();
    await tf.setBackend('native');
    before = loadAddon().threads();
  });
  afterAll(() => { if (NATIVE_AVAILABLE) loadAddon().threads(before); });
  beforeEach(requireNativeAddon);

  for (const [name, make, shape, batch] of [['the quickstart MLP', quickstartMlp, [784], 128],
    ['a tiny conv net', tinyConvNet, [28, 28, 1], 64]] as const) {
    it(`${name} ends bit-identical after 4 Adam steps`, () => {
      const addon = loadAddon();
      const one = train(make, [...shape], batch, 4, 1);
      const jobs = addon._poolJobs();
      const two = train(make, [...shape], batch, 4, 2);
      expect(addon._poolJobs(), 'some kernels ran on both threads').toBeGreaterThan(jobs);
      expect(two.length).toBe(one.length);
      expect(two.equals(one)).toBe(true);
      // and the weights did move
      expect(train(make, [...shape], batch, 0, 2).equals(one)).toBe(false);
    });
  }

  for (const [name, make, shape] of [['the quickstart MLP', quickstartMlp, [784]], ['a LeNet-5 chain', lenetChain, [28, 28, 1]]] as const) {
    it(`${name} on the engine-free step ends bit-identical after 4 steps`, async () => {
      const addon = loadAddon();
      const one = await trainFast(make, [...shape], 128, 4, 1);
      const jobs = addon._poolJobs();
      const two = await trainFast(make, [...shape], 128, 4, 2);
      expect(addon._poolJobs(), 'some kernels ran on both threads').toBeGreaterThan(jobs);
      expect(two.equals(one)).toBe(true);
      expect((await trainFast(make, [...shape], 128, 0, 2)).equals(one)).toBe(false);
    });
  }
});
