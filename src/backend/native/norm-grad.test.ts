import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { registerFastGradients } from '../gradients.js';
import { NORM_GRAD_CONFIGS, type ReplacementGradConfig } from '../norm-gradients.js';
import { loadAddon } from './index.js';
import { NATIVE_AVAILABLE, addonCalls, expectSameAsCpu, randArray, rng, setupNative } from './testing.js';

type Result = tf.Tensor | tf.Tensor[];

/** Every output's bytes of `fn` on the native backend. */
function bytesOf(fn: () => Result): Buffer {
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const bytes = Buffer.concat(list.map((t) => Buffer.from((t.dataSync() as Float32Array).slice().buffer)));
  tf.dispose(list);
  return bytes;
}

/** `fn`'s outputs on native with tfjs-core's own FusedBatchNorm and Mean gradients (ours restored after). */
function withStockGradients(fn: () => Result): Buffer {
  for (const config of NORM_GRAD_CONFIGS) tf.registerGradient((config as ReplacementGradConfig).replaces);
  try {
    return bytesOf(fn);
  } finally {
    for (const config of NORM_GRAD_CONFIGS) tf.registerGradient(config);
  }
}

const tensor = (seed: number, shape: number[], lo = -1, hi = 1) => () => tf.tensor(randArray(rng(seed), shape.reduce((a, b) => a * b, 1), lo, hi), shape);

/** Gradients of sum(batchNorm(x, moments(x)) * w) with respect to x, offset and scale: tf.layers' training path. */
function trainingBatchNorm(shape: number[]) {
  const c = shape[shape.length - 1]!;
  const x = tensor(1, shape, -2, 3);
  const w = tensor(2, shape);
  const offset = tensor(3, [c]);
  const scale = tensor(4, [c], 0.5, 1.5);
  const axes = shape.slice(0, -1).map((_, i) => i);
  const f = (xs: tf.Tensor, o: tf.Tensor, s: tf.Tensor) => {
    const { mean, variance } = tf.moments(xs, axes);
    return tf.sum(tf.mul(tf.batchNorm(xs, mean, variance, o, s, 1e-3), w()));
  };
  return () => tf.grads(f)([x(), offset(), scale()]);
}

describe('the native FusedBatchNorm, Mean and Square gradients', () => {
  beforeAll(async () => {
    if (!NATIVE_AVAILABLE) return;
    await setupNative();
    registerFastGradients();
  });
  afterAll(async () => { if (NATIVE_AVAILABLE) await tf.setBackend('cpu'); });
  beforeEach(requireNativeAddon);

  // [128, 14, 14, 32] is the MobileNet-style benchmark's activation: large enough for the pool
  // (the forward and reductions; the gradient splits channels from 128 on, as for the last)
  const shapes = [[6, 5, 4, 3], [2, 3, 3, 48], [4, 7, 7, 1], [300, 24], [128, 14, 14, 32], [16, 14, 14, 200]];

  it('are bit-identical to tfjs-core\'s compositions on native, and to the cpu backend within float32 rounding', async () => {
    for (const shape of shapes) {
      const fn = trainingBatchNorm(shape);
      await tf.setBackend('native');
      const before = addonCalls.batchNormGrad ?? 0;
      const ours = bytesOf(fn);
      expect((addonCalls.batchNormGrad ?? 0) - before, `${shape}: the native kernel ran`).toBe(1);
      expect(ours.equals(withStockGradients(fn)), `${shape}`).toBe(true);
      await expectSameAsCpu(fn, { addonFn: 'batchNormGrad', atol: 1e-4, rtol: 1e-3 });
    }
  });

  // TF.js cannot differentiate a FusedBatchNorm without scale (it saves the missing input), so
  // the kernel's scale-less path is checked against a scale of ones, which multiplies exactly
  it('without scale, the kernel gives the bits of a scale of ones', () => {
    const a = loadAddon();
    const [rows, c] = [20_000, 32];
    const r = rng(14);
    const [dy, x] = [randArray(r, rows * c), randArray(r, rows * c, -2, 2)];
    const [mean, variance] = [randArray(r, c), randArray(r, c, 0.1, 2)];
    const run = (scale: Float32Array | null) => {
      const [dx, dmean, dvariance, dscale, doffset] = [rows * c, c, c, c, c].map((n) => new Float32Array(n)) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      a.batchNormGrad(dy, x, mean, variance, scale, 1e-3, dx, dmean, dvariance, dscale, doffset);
      return Buffer.concat([dx, dmean, dvariance, dscale, doffset].map((o) => Buffer.from(o.buffer)));
    };
    expect(run(null).equals(run(new Float32Array(c).fill(1)))).toBe(true);
  });

  it('Mean\'s gradient over any axes (keepDims too) is tfjs-core\'s on native bit for bit, and one kernel', async () => {
    const x = tensor(10, [8, 5, 6, 4]);
    for (const [axes, keepDims] of [[[0, 1, 2], false], [[1, 2], false], [[3], true], [[0, 2], true], [[0, 1, 2, 3], false]] as const) {
      const fn = () => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, [...axes], keepDims), tf.onesLike(tf.mean(t, [...axes], keepDims)).mul(1.7))))(x());
      await tf.setBackend('native');
      expect(bytesOf(fn).equals(withStockGradients(fn)), `axes ${axes}`).toBe(true);
      await expectSameAsCpu(fn, { atol: 0, rtol: 0 });
    }
  });

  it('Square\'s gradient is tfjs-core\'s bit for bit (against cpu), in one kernel', async () => {
    for (const n of [50, 600_000]) {
      const x = tensor(11, [n], -3, 3);
      const dy = tensor(12, [n]);
      await expectSameAsCpu(() => tf.grad((t: tf.Tensor) => tf.mul(tf.square(t), dy()))(x()), { addonFn: 'maskGrad', atol: 0, rtol: 0 });
    }
  });

  it('give the same bits on 1 and 2 threads (BN gradient, forward and reductions on the pool)', async () => {
    await tf.setBackend('native');
    const addon = loadAddon();
    const before = addon.threads();
    const fn = () => [...trainingBatchNorm([128, 14, 14, 32])(), ...trainingBatchNorm([16, 14, 14, 200])()];
    const forward = () => tf.mean(tf.batchNorm(tensor(13, [128, 14, 14, 32])(), tf.fill([32], 0.1), tf.fill([32], 2), tf.fill([32], 0.5), tf.fill([32], 1.5)), [0, 1, 2]);
    try {
      addon.threads(1);
      const one = [bytesOf(fn), bytesOf(forward)];
      const jobs = addon._poolJobs();
      addon.threads(2);
      const two = [bytesOf(fn), bytesOf(forward)];
      expect(addon._poolJobs(), 'kernels ran on both threads').toBeGreaterThan(jobs);
      expect(two[0]!.equals(one[0]!)).toBe(true);
      expect(two[1]!.equals(one[1]!)).toBe(true);
    } finally {
      addon.threads(before);
    }
  });
});
