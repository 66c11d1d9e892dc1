import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { registerFastGradients } from '../gradients.js';
import { batchNormTraining } from './bn-train.js';
import { loadAddon } from './index.js';
import { NATIVE_AVAILABLE, addonCalls, expectSameAsCpu, randArray, rng, setupNative } from './testing.js';

const tensor = (seed: number, shape: number[], lo = -1, hi = 1) => () => tf.tensor(randArray(rng(seed), shape.reduce((a, b) => a * b, 1), lo, hi), shape);

/**
 * Gradients of sum(y * w) + sum(mean * u) + sum(variance * v) for batch normalization in
 * training with respect to x, offset and scale: the fused kernels on native, tf.moments +
 * tf.batchNorm (tf.layers' own path) elsewhere. Also returns y, mean and variance.
 */
function trainingBatchNorm(shape: number[], [lo, hi] = [-2, 3]) {
  const c = shape[shape.length - 1]!;
  const [x, w, offset, scale] = [tensor(1, shape, lo, hi), tensor(2, shape), tensor(3, [c]), tensor(4, [c], 0.5, 1.5)];
  const [u, v] = [tensor(5, [c]), tensor(6, [c])];
  const axes = shape.slice(0, -1).map((_, i) => i);
  const normalize = (xs: tf.Tensor, o: tf.Tensor, s: tf.Tensor) => {
    if (tf.getBackend() === 'native') return batchNormTraining(xs, s, o, 1e-3);
    const { mean, variance } = tf.moments(xs, axes);
    return [tf.batchNorm(xs, mean, variance, o, s, 1e-3), mean, variance];
  };
  const loss = (xs: tf.Tensor, o: tf.Tensor, s: tf.Tensor) => {
    const [y, mean, variance] = normalize(xs, o, s) as [tf.Tensor, tf.Tensor, tf.Tensor];
    return tf.addN([tf.sum(tf.mul(y, w())), tf.sum(tf.mul(mean, u())), tf.sum(tf.mul(variance, v()))]);
  };
  return () => [...normalize(x(), offset(), scale()), ...tf.grads(loss)([x(), offset(), scale()])];
}

/** Every output's bytes of `fn` on the current backend. */
function bytesOf(fn: () => tf.Tensor[]): Buffer {
  const outs = tf.tidy(fn);
  const bytes = Buffer.concat(outs.map((t) => Buffer.from((t.dataSync() as Float32Array).slice().buffer)));
  tf.dispose(outs);
  return bytes;
}

/**
 * A small conv net with batch normalization, seeded. No bias before a batch normalization: its
 * gradient is zero but for rounding, which Adam scales up to whole steps of noise.
 */
function bnNet(axis = -1): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [10, 10, 2], filters: 8, kernelSize: 3, padding: 'same', useBias: false }),
      tf.layers.batchNormalization({ axis }),
      tf.layers.reLU(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 6, useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
  const r = rng(31);
  model.setWeights(model.getWeights().map((w) => tf.tensor(randArray(r, w.size, -0.3, 0.3), w.shape)));
  return model;
}

/** `steps` Adam steps of {@link bnNet} on `backend`: every weight (moving statistics included) after. */
async function trainBnNet(backend: string, steps: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const model = bnNet();
  const r = rng(32);
  const x = tf.tensor(randArray(r, 16 * 10 * 10 * 2, 0, 1), [16, 10, 10, 2]);
  const y = tf.oneHot(tf.tensor(Array.from({ length: 16 }, (_, i) => i % 4), [16], 'int32'), 4);
  // SGD, not Adam: Adam's normalized steps turn last-bit gradient differences (softmax's float32
  // exp) into lr-sized weight differences wherever a gradient is near zero
  const opt = tf.train.sgd(0.1);
  for (let s = 0; s < steps; s++) {
    opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)?.dispose();
  }
  const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return weights;
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  return Math.max(...a.map((w, k) => w.reduce((m, v, i) => Math.max(m, Math.abs(v - b[k]![i]!)), 0)));
}

describe('batch normalization in training on native (fused kernels)', () => {
  beforeAll(async () => {
    if (!NATIVE_AVAILABLE) return;
    await setupNative();
    registerFastGradients();
  });
  afterAll(async () => { if (NATIVE_AVAILABLE) await tf.setBackend('cpu'); });
  beforeEach(requireNativeAddon);

  it('registering the backend takes no default layer name (the first batch normalization layer is still number 1)', () => {
    const layer = tf.layers.batchNormalization({});
    expect(layer.name).toBe('batch_normalization_BatchNormalization1');
  });

  const shapes = [[6, 5, 4, 3], [2, 3, 3, 48], [4, 7, 7, 1], [300, 24], [7, 11, 5], [128, 14, 14, 32]];

  it('gives tf.moments + tf.batchNorm\'s outputs and gradients (through mean and variance too) within float32 rounding', async () => {
    for (const shape of shapes) {
      const before = addonCalls.batchNormTrainGrad ?? 0;
      await expectSameAsCpu(trainingBatchNorm(shape), { addonFn: 'batchNormTrain', atol: 1e-4, rtol: 1e-4 });
      expect((addonCalls.batchNormTrainGrad ?? 0) - before, `${shape}: one backward kernel`).toBe(1);
    }
  });

  it('keeps the variance of an input whose mean is far larger than its spread', async () => {
    await expectSameAsCpu(() => trainingBatchNorm([64, 5, 5, 8], [3000, 3001])().slice(0, 3), { atol: 1e-5, rtol: 1e-4 });
    // x = 1e6 + k / 8 (exact in float32): the variance is 5e-14 of the mean's square, which
    // E[x^2] - E[x]^2 in double would cancel to ~1e-3 relative
    const [rows, c] = [4000, 3];
    const x = Float32Array.from({ length: rows * c }, (_, i) => 1e6 + ((i * 5 + (i % c)) % 8) / 8);
    const [mean, variance] = [new Float32Array(c), new Float32Array(c)];
    loadAddon().batchNormTrain(x, c, null, null, 1e-3, new Float32Array(rows * c), mean, variance);
    for (let ch = 0; ch < c; ch++) {
      let [m, v] = [0, 0];
      for (let r = 0; r < rows; r++) m += x[r * c + ch]! / rows;
      for (let r = 0; r < rows; r++) v += (x[r * c + ch]! - m) ** 2 / rows;
      expect(Math.abs(variance[ch]! - v) / v, `channel ${ch}`).toBeLessThan(1e-6);
      expect(mean[ch]).toBe(Math.fround(m));
    }
  });

  it('is bit-identical on 1 and 2 threads', async () => {
    await tf.setBackend('native');
    const addon = loadAddon();
    const before = addon.threads();
    const fn = () => [...trainingBatchNorm([128, 14, 14, 32])(), ...trainingBatchNorm([64, 28, 28, 16])()];
    try {
      addon.threads(1);
      const one = bytesOf(fn);
      const jobs = addon._poolJobs();
      addon.threads(2);
      const two = bytesOf(fn);
      expect(addon._poolJobs(), 'kernels ran on both threads').toBeGreaterThan(jobs);
      expect(two.equals(one)).toBe(true);
    } finally {
      addon.threads(before);
    }
  });

  it('without scale and offset, the kernels give the bits of ones and zeros', () => {
    const a = loadAddon();
    const [rows, c] = [5000, 24];
    const r = rng(14);
    const [x, dy, dmean, dvar] = [randArray(r, rows * c, -2, 2), randArray(r, rows * c), randArray(r, c), randArray(r, c)];
    const run = (scale: Float32Array | null, offset: Float32Array | null) => {
      const [y, dx] = [new Float32Array(rows * c), new Float32Array(rows * c)];
      const [mean, variance, dscale, doffset] = [c, c, c, c].map((n) => new Float32Array(n)) as [Float32Array, Float32Array, Float32Array, Float32Array];
      a.batchNormTrain(x, c, scale, offset, 1e-3, y, mean, variance);
      a.batchNormTrainGrad(dy, x, scale, mean, variance, dmean, dvar, 1e-3, dx, dscale, doffset);
      return Buffer.concat([y, mean, variance, dx, dscale, doffset].map((o) => Buffer.from(o.buffer)));
    };
    expect(run(null, null).equals(run(new Float32Array(c).fill(1), new Float32Array(c)))).toBe(true);
    expect(() => a.batchNormTrain(x, c, new Float32Array(c - 1), null, 1e-3, new Float32Array(rows * c), new Float32Array(c), new Float32Array(c)))
      .toThrow(/scale has 23 elements, needs 24/);
    expect(() => a.batchNormTrain(x, 7, null, null, 1e-3, new Float32Array(rows * c), new Float32Array(7), new Float32Array(7)))
      .toThrow(/not a multiple of C/);
  });

  it('tf.layers.batchNormalization trains on the fused kernels and matches cpu', async () => {
    const before = addonCalls.batchNormTrain ?? 0;
    const native = await trainBnNet('native', 3);
    expect((addonCalls.batchNormTrain ?? 0) - before, 'two BN layers x 3 steps').toBe(6);
    const cpu = await trainBnNet('cpu', 3);
    expect(maxDiff(native, cpu)).toBeLessThan(1e-4);
    // and the weights, moving statistics included, did move
    expect(maxDiff(await trainBnNet('cpu', 0), cpu)).toBeGreaterThan(1e-3);
  });

  // tfjs-core cannot differentiate tf.layers' broadcasting path (another axis than the last), so
  // that path is checked forward only, against cpu
  it('keeps tfjs-layers\' own path for inference and for a normalized axis other than the last', async () => {
    const forward = (axis: number, training: boolean) => () => {
      const model = bnNet(axis);
      const out = tf.tidy(() => model.apply(tensor(33, [4, 10, 10, 2], 0, 1)(), { training }) as tf.Tensor);
      const weights = model.getWeights().map((w) => w.clone());
      model.dispose();
      return [out, ...weights];
    };
    await tf.setBackend('native');
    const before = addonCalls.batchNormTrain ?? 0;
    await expectSameAsCpu(forward(-1, false), { atol: 0, rtol: 0 });
    expect(addonCalls.batchNormTrain ?? 0, 'inference').toBe(before);
    await expectSameAsCpu(forward(1, true), { atol: 1e-5, rtol: 1e-4 });
    expect((addonCalls.batchNormTrain ?? 0) - before, 'only the dense layer\'s').toBe(1);
  });

});
