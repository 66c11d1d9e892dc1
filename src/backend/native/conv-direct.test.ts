import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import type { ConvParams } from './addon.js';
import { loadAddon } from './index.js';
import { NATIVE_AVAILABLE, expectSameAsCpu, randArray, rng, setupNative } from './testing.js';

// native/conv_direct.c (outC <= 8, inC <= 8, width stride and dilation 1; filter gradient fw <= 8)
// and native/pool_fast.c (2x2 stride-2 max pooling), against the cpu backend and across threads.
const rand = rng(4321);
const t = (shape: number[], lo = -1, hi = 1) => {
  const data = randArray(rand, shape.reduce((a, b) => a * b, 1), lo, hi);
  return () => tf.tensor(data, shape);
};
type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

async function convAndGradients(xs: number[], fs: number[], s: number | [number, number], pad: Pad,
  d: number | [number, number] = 1): Promise<void> {
  const info = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number],
    fs as [number, number, number, number], s, d, pad as 'same');
  const x = t(xs);
  const w = t(fs);
  const dy = t(info.outShape);
  const where = `${xs} ${fs} s=${s} pad=${JSON.stringify(pad)} d=${d}`;
  await expectSameAsCpu(() => tf.conv2d(x() as tf.Tensor4D, w() as tf.Tensor4D, s, pad as 'same', 'NHWC', d),
    { addonFn: 'conv2d' }).catch((e: Error) => { throw new Error(`${where}: ${e.message}`); });
  if (d !== 1) return; // TF.js computes the gradients of dilated convs through other kernels
  await expectSameAsCpu(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: x(), dy: dy() },
    { strides: s, pad, dataFormat: 'NHWC', filterShape: fs }) as tf.Tensor, { addonFn: 'conv2dBackpropFilter', atol: 1e-4 })
    .catch((e: Error) => { throw new Error(`${where}: ${e.message}`); });
}

function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

describe('direct small-channel convolution and 2x2 max pooling', () => {
  let threadsBefore = 0;
  beforeAll(async () => {
    if (!NATIVE_AVAILABLE) return;
    await setupNative();
    threadsBefore = loadAddon().threads();
  });
  afterAll(() => { if (NATIVE_AVAILABLE) loadAddon().threads(threadsBefore); });
  beforeEach(requireNativeAddon);

  it('Conv2D and its filter gradient agree with cpu: paddings, height strides, odd sizes', async () => {
    const cases: [number[], number[], number | [number, number], Pad][] = [
      [[3, 28, 28, 1], [5, 5, 1, 6], 1, 'same'], [[2, 14, 14, 6], [5, 5, 6, 8], 1, 'valid'],
      [[2, 9, 11, 3], [3, 3, 3, 5], 1, 'same'], [[1, 7, 5, 2], [3, 2, 2, 1], 1, 'valid'],
      [[2, 13, 9, 4], [3, 3, 4, 7], [2, 1], 'same'], [[1, 6, 17, 8], [2, 8, 8, 3], 1, 'valid'],
      [[2, 5, 6, 1], [3, 3, 1, 2], 1, [[0, 0], [2, 0], [1, 3], [0, 0]]], [[1, 4, 4, 2], [4, 4, 2, 4], 1, 2],
      [[5, 3, 3, 1], [1, 3, 1, 6], 1, 'same'], [[2, 8, 40, 2], [3, 3, 2, 6], 1, 'same'],
    ];
    for (const [xs, fs, s, pad] of cases) await convAndGradients(xs, fs, s, pad);
  });

  it('dilated heights go direct too; the shapes just past its limits fall back to im2col + GEMM', async () => {
    await convAndGradients([2, 12, 9, 2], [3, 3, 2, 4], 1, 'same', [2, 1]);
    // outC 9, inC 9, width stride 2, width dilation 2, filter width 9 (filter gradient)
    await convAndGradients([2, 9, 9, 3], [3, 3, 3, 9], 1, 'same');
    await convAndGradients([2, 9, 9, 9], [3, 3, 9, 4], 1, 'same');
    await convAndGradients([2, 9, 10, 3], [3, 3, 3, 4], [1, 2], 'same');
    await convAndGradients([2, 9, 12, 3], [3, 3, 3, 4], 1, 'same', [1, 2]);
    await convAndGradients([2, 4, 12, 1], [2, 9, 1, 3], 1, 'valid');
  });

  it('MaxPool 2x2 / 2 and its gradient agree with cpu, with ties, odd sizes and -0 gradients', async () => {
    for (const xs of [[2, 28, 28, 6], [1, 7, 9, 3], [2, 10, 10, 16], [1, 6, 4, 21]]) {
      const n = xs.reduce((a, b) => a * b, 1);
      // few distinct values: many ties within a window
      const data = Float32Array.from(randArray(rand, n, 0, 4), (v) => Math.floor(v));
      const x = () => tf.tensor(data, xs);
      await expectSameAsCpu(() => tf.maxPool(x() as tf.Tensor4D, 2, 2, 'valid'), { addonFn: 'pool', atol: 0, rtol: 0 });
      await expectSameAsCpu(() => tf.grad((a: tf.Tensor) =>
        tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid').square().sum())(x()), { addonFn: 'maxPoolGrad', atol: 0, rtol: 0 });
    }
    const addon = loadAddon();
    const p: ConvParams = [1, 2, 2, 2, 1, 1, 2, 2, 2, 2, 2, 1, 1, 0, 0];
    // channel 0: 1, 3, 3, 2 (the first 3 wins); channel 1: all NaN (no gradient); 0 + -0 is +0
    const x = Float32Array.from([1, NaN, 3, NaN, 3, NaN, 2, NaN]);
    const dx = new Float32Array(8).fill(7);
    addon.maxPoolGrad(x, Float32Array.from([4, 5]), dx, p);
    expect([...dx]).toEqual([0, 0, 4, 0, 0, 0, 0, 0]);
    addon.maxPoolGrad(x, Float32Array.from([-0, 5]), dx, p);
    expect(Object.is(dx[2], 0)).toBe(true);
  });

  it('give bit-identical results on 1 and 2 threads', () => {
    const addon = loadAddon();
    const r = rng(9);
    const conv: ConvParams = [128, 28, 28, 1, 28, 28, 6, 5, 5, 1, 1, 1, 1, 2, 2];
    const pool: ConvParams = [128, 28, 28, 6, 14, 14, 6, 2, 2, 2, 2, 1, 1, 0, 0];
    const x = randArray(r, 128 * 28 * 28 * 6);
    const f = randArray(r, 150);
    const dy = randArray(r, 128 * 28 * 28 * 6);
    const run = () => {
      const y = new Float32Array(dy.length);
      const df = new Float32Array(150);
      const pooled = new Float32Array(128 * 14 * 14 * 6);
      const pdx = new Float32Array(x.length);
      addon.conv2d(x, f, y, conv);
      addon.conv2dBackpropFilter(x, dy, df, conv);
      addon.pool(x, pooled, pool, 0);
      addon.maxPoolGrad(x, dy, pdx, pool);
      return [y, df, pooled, pdx];
    };
    addon.threads(1);
    const one = run();
    const jobs = addon._poolJobs();
    addon.threads(2);
    const two = run();
    expect(addon._poolJobs()).toBeGreaterThan(jobs);
    one.forEach((o, k) => expect(bytes(two[k]!).equals(bytes(o)), `output ${k}`).toBe(true));
  });
});
