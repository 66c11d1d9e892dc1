import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { registerFastGradients } from '../gradients.js';
import { loadAddon } from './index.js';
import { NATIVE_AVAILABLE, addonCalls, expectSameAsCpu, randArray, rng, setupNative } from './testing.js';

const r = rng(21);
const data = (shape: number[], lo = -2, hi = 2) => {
  const v = randArray(r, shape.reduce((a, b) => a * b, 1), lo, hi);
  return () => tf.tensor(v, shape);
};

/** A layer norm over the last axis of `shape` with random gamma and beta; `weights()` are its variables. */
function layerNorm(shape: number[]) {
  const layer = tf.layers.layerNormalization({ epsilon: 1e-3 });
  layer.build(shape);
  const C = shape[shape.length - 1]!;
  layer.setWeights([data([C], 0.5, 1.5)(), data([C], -1, 1)()]);
  return { layer, weights: () => layer.trainableWeights.map((w) => w.read() as tf.Variable) };
}

describe('the native layer normalization', () => {
  beforeAll(async () => {
    if (!NATIVE_AVAILABLE) return;
    await setupNative();
    registerFastGradients();
  });
  beforeEach(requireNativeAddon);

  it('agrees with tfjs-layers\' composition on cpu: output, and gradients of input, gamma and beta', async () => {
    for (const shape of [[4, 6, 8], [3, 300], [2, 5, 1], [7, 64]]) {
      const { layer, weights } = layerNorm(shape);
      const x = data(shape);
      const upstream = data(shape);
      const loss = (v: tf.Tensor) => tf.sum(tf.mul(layer.apply(v) as tf.Tensor, upstream()));
      await expectSameAsCpu(() => layer.apply(x()) as tf.Tensor, { addonFn: 'layerNorm', atol: 1e-5, rtol: 1e-5 });
      await expectSameAsCpu(() => tf.grad(loss)(x()), { addonFn: 'layerNormGrad', atol: 1e-4, rtol: 1e-4 });
      await expectSameAsCpu(() => Object.values(tf.variableGrads(() => loss(x()) as tf.Scalar, weights()).grads),
        { addonFn: 'layerNormGrad', atol: 1e-4, rtol: 1e-4 });
      tf.dispose(weights());
    }
  });

  it('keeps the composition where it does not apply (another axis, no beta)', async () => {
    await tf.setBackend('native');
    const before = addonCalls.layerNorm ?? 0;
    const x = data([3, 4, 5])();
    const other = tf.layers.layerNormalization({ axis: 1 });
    const noBeta = tf.layers.layerNormalization({ center: false });
    tf.dispose([other.apply(x) as tf.Tensor, noBeta.apply(x) as tf.Tensor]);
    expect(addonCalls.layerNorm ?? 0).toBe(before);
    const y = data([3, 4, 5]);
    await expectSameAsCpu(() => tf.layers.layerNormalization({ axis: 1 }).apply(y()) as tf.Tensor, { addonFn: 'batchNorm' });
    x.dispose();
  });
});

describe('the native layer normalization on 1 and 2 threads', () => {
  let threads = 0;
  beforeAll(() => { if (NATIVE_AVAILABLE) threads = loadAddon().threads(); });
  afterAll(() => { if (NATIVE_AVAILABLE) loadAddon().threads(threads); });
  beforeEach(requireNativeAddon);

  it('gives bit-identical output and gradients, and uses both threads', () => {
    const addon = loadAddon();
    const [rows, C] = [512, 512];
    const [x, dy] = [randArray(r, rows * C), randArray(r, rows * C)];
    const [gamma, beta] = [randArray(r, C, 0.5, 1.5), randArray(r, C)];
    const run = () => {
      const [y, mean, rstd, dx] = [new Float32Array(rows * C), new Float32Array(rows), new Float32Array(rows), new Float32Array(rows * C)];
      const [dgamma, dbeta] = [new Float32Array(C), new Float32Array(C)];
      addon.layerNorm(x, gamma, beta, 1e-3, y, mean, rstd);
      addon.layerNormGrad(dy, x, mean, rstd, gamma, dx, dgamma, dbeta);
      return Buffer.concat([y, mean, rstd, dx, dgamma, dbeta].map((a) => Buffer.from(a.buffer)));
    };
    addon.threads(1);
    const one = run();
    const jobs = addon._poolJobs();
    addon.threads(2);
    const two = run();
    expect(addon._poolJobs()).toBeGreaterThan(jobs);
    expect(two.equals(one)).toBe(true);
  });
});
