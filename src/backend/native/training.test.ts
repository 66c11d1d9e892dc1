import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { NATIVE_AVAILABLE, addonCalls, randArray, rng, setupNative } from './testing.js';

/** A few Adam steps of a 20-32-5 MLP from a fixed seed; returns the final weights. */
async function trainMlp(backend: string, seed: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const r = rng(seed);
  const x = tf.tensor(randArray(r, 64 * 20), [64, 20]);
  const y = tf.oneHot(tf.tensor(Array.from({ length: 64 }, () => Math.floor(r() * 5)), [64], 'int32'), 5);
  const w1 = tf.variable(tf.tensor(randArray(r, 20 * 32, -0.3, 0.3), [20, 32]));
  const b1 = tf.variable(tf.zeros([32]));
  const w2 = tf.variable(tf.tensor(randArray(r, 32 * 5, -0.3, 0.3), [32, 5]));
  const b2 = tf.variable(tf.zeros([5]));
  const opt = tf.train.adam(0.01);
  for (let step = 0; step < 10; step++) {
    opt.minimize(() => {
      const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h, w2), b2)) as tf.Scalar;
    });
  }
  const out = [w1, b1, w2, b2].map((v) => Float32Array.from(v.dataSync()));
  tf.dispose([x, y, w1, b1, w2, b2]);
  opt.dispose();
  return out;
}

/** Two epochs of model.fit on a tiny conv net (conv, maxpool, dense, softmax). */
async function trainConvNet(backend: string, seed: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const r = rng(seed);
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'relu' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  model.setWeights(model.getWeights().map((w) => tf.tensor(randArray(r, w.size, -0.4, 0.4), w.shape)));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const x = tf.tensor(randArray(r, 16 * 64), [16, 8, 8, 1]);
  const y = tf.oneHot(tf.tensor(Array.from({ length: 16 }, () => Math.floor(r() * 3)), [16], 'int32'), 3);
  await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
  const out = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  tf.dispose([x, y]);
  model.dispose();
  return out;
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((arr, k) => arr.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - b[k]![i]!)); }));
  return worst;
}

describe('training on the native backend', () => {
  beforeAll(async () => {
    if (NATIVE_AVAILABLE) await setupNative();
  });
  beforeEach(requireNativeAddon);

  it('an MLP trained with Adam matches cpu and is deterministic', async () => {
    const cpu = await trainMlp('cpu', 7);
    const before = addonCalls.batchMatMul ?? 0;
    const native = await trainMlp('native', 7);
    expect(addonCalls.batchMatMul ?? 0).toBeGreaterThan(before);
    expect(maxDiff(cpu, native)).toBeLessThan(1e-4);
    const again = await trainMlp('native', 7);
    expect(maxDiff(native, again)).toBe(0);
  });

  it('a small conv net trained with model.fit matches cpu and is deterministic', async () => {
    const cpu = await trainConvNet('cpu', 11);
    const before = addonCalls.conv2dBackpropFilter ?? 0;
    const native = await trainConvNet('native', 11);
    expect(addonCalls.conv2dBackpropFilter ?? 0).toBeGreaterThan(before);
    expect(maxDiff(cpu, native)).toBeLessThan(1e-4);
    const again = await trainConvNet('native', 11);
    expect(maxDiff(native, again)).toBe(0);
  });
});
