import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { KernelScope } from '../../model/fast-step/kernels.js';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { poolStats, resetPool } from './pool.js';
import { NATIVE_AVAILABLE, randArray, rng, setupNative } from './testing.js';

const N = 50_000;
const input = (seed: number) => tf.tensor(randArray(rng(seed), N), [N]);
/** A native kernel's output of N elements (Relu: an uninitialized, poolable output). */
const kernelOutput = (x: tf.Tensor) => tf.relu(x);

/** Writes every reusable array of length N with garbage: native outputs of that size, disposed. */
function churn(): void {
  const x = input(99);
  for (let i = 0; i < 4; i++) tf.tidy(() => tf.neg(kernelOutput(tf.add(x, i))));
  x.dispose();
}

describe('the native backend\'s reuse of disposed outputs', () => {
  beforeAll(async () => {
    if (!NATIVE_AVAILABLE) return;
    await setupNative();
    await tf.setBackend('native');
  });
  afterAll(async () => { if (NATIVE_AVAILABLE) await tf.setBackend('cpu'); });
  beforeEach((ctx) => {
    requireNativeAddon(ctx);
    resetPool();
  });
  afterAll(() => resetPool());

  it('gives a disposed output\'s array to the next output of its length', () => {
    const x = input(1);
    const y = kernelOutput(x);
    const before = poolStats.reused;
    y.dispose();
    const z = kernelOutput(x);
    expect(poolStats.reused - before).toBe(1);
    expect(Array.from(z.dataSync().slice(0, 5))).toEqual(Array.from(x.dataSync().slice(0, 5)).map((v) => Math.max(v, 0)));
    tf.dispose([x, z]);
  });

  it('never reuses an array that left the backend through dataSync, data or arraySync', async () => {
    const x = input(2);
    const reads = [(t: tf.Tensor) => t.dataSync(), (t: tf.Tensor) => t.data(), (t: tf.Tensor) => Float32Array.from(t.arraySync() as number[])];
    for (const read of reads) {
      const y = kernelOutput(x);
      const held = await read(y) as Float32Array;
      const copy = held.slice();
      y.dispose();
      churn();
      expect(Buffer.from(held.buffer, held.byteOffset, held.byteLength).equals(Buffer.from(copy.buffer))).toBe(true);
    }
    x.dispose();
  });

  it('never reuses an array a cpu kernel took as input (it may keep a view of it)', () => {
    const [re, im] = [kernelOutput(input(3)), kernelOutput(input(4))];
    const expected = Float32Array.from(re.dataSync());
    const [re2] = [kernelOutput(input(3))]; // not read out: only the cpu kernel Complex holds its values
    const c = tf.complex(re2, im);
    tf.dispose([re2, re, im]);
    churn();
    expect(Buffer.from(tf.real(c).dataSync().buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    c.dispose();
  });

  it('never reuses an output the engine-free step read (it keeps the array past the tensor\'s release)', () => {
    const scope = new KernelScope(tf.backend() as MathBackendCPU);
    const kept = scope.values(scope.run('Relu', { x: scope.wrap(randArray(rng(6), N), [N]) }));
    const copy = kept.slice();
    scope.release();
    churn();
    expect(Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).equals(Buffer.from(copy.buffer))).toBe(true);
  });

  it('reuses outputs while a model trains, and the training matches a run without reuse', () => {
    const train = () => {
      const r = rng(5);
      const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [200], units: 300, activation: 'relu' }), tf.layers.dense({ units: 10 })] });
      model.setWeights(model.getWeights().map((w) => tf.tensor(randArray(r, w.size, -0.1, 0.1), w.shape)));
      const x = tf.tensor(randArray(r, 64 * 200), [64, 200]);
      const opt = tf.train.adam(1e-2);
      for (let s = 0; s < 3; s++) opt.minimize(() => tf.mean(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar);
      const out = Buffer.concat(model.getWeights().map((w) => Buffer.from(w.dataSync().slice().buffer)));
      tf.dispose([x]);
      model.dispose();
      opt.dispose();
      return out;
    };
    const before = poolStats.reused;
    const first = train();
    expect(poolStats.reused - before, 'some outputs were reused').toBeGreaterThan(0);
    resetPool(0);
    const reusedBefore = poolStats.reused;
    expect(train().equals(first), 'the same weights without reuse').toBe(true);
    expect(poolStats.reused).toBe(reusedBefore);
  });
});
