import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { PACKAGE_ROOT, type ConvParams } from './addon.js';
import { NATIVE_AVAILABLE, expectSameAsCpu, randArray, rng, setupNative } from './testing.js';
import { loadAddon } from './index.js';

/** Runs `fn` on 1 and on 2 threads; expects at least one call to have used both, returns both results. */
function onOneAndTwo<T>(fn: () => T): [T, T] {
  const addon = loadAddon();
  addon.threads(1);
  const one = fn();
  const jobs = addon._poolJobs();
  addon.threads(2);
  const two = fn();
  expect(addon._poolJobs()).toBeGreaterThan(jobs);
  return [one, two];
}

function bytes(arrays: Float32Array[]): Buffer {
  return Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
}

// [transA, transB, M, N, K]: the quickstart's and LeNet-5's products, squares, and odd sizes
const SHAPES: [number, number, number, number, number][] = [
  [0, 0, 128, 300, 784], [1, 0, 784, 300, 128], [0, 1, 128, 784, 300], [1, 0, 150, 16, 3400],
  [0, 0, 256, 256, 256], [0, 0, 333, 777, 55], [1, 1, 257, 129, 1031], [0, 0, 37, 1001, 283],
  [0, 1, 1023, 37, 301],
];

describe('the native kernels on 1 and 2 threads', () => {
  let before = 0;
  beforeAll(async () => {
    if (!NATIVE_AVAILABLE) return;
    await setupNative();
    before = loadAddon().threads();
  });
  afterAll(() => { if (NATIVE_AVAILABLE) loadAddon().threads(before); });
  beforeEach(requireNativeAddon);

  it('sgemm and the portable GEMM give bit-identical results (beta != 0 too)', () => {
    const addon = loadAddon();
    const r = rng(3);
    for (const gemm of ['sgemm', 'sgemmPortable'] as const) {
      for (const [tA, tB, M, N, K] of SHAPES) {
        expect(addon.gemmParts(M, N, K), `${M}x${N}x${K} is cut`).toBeGreaterThan(1);
        const a = randArray(r, M * K);
        const b = randArray(r, K * N);
        const c0 = randArray(r, M * N);
        const [one, two] = onOneAndTwo(() => {
          const c = c0.slice();
          addon[gemm](tA, tB, M, N, K, 1.5, a, tA ? M : K, b, tB ? K : N, 0.5, c, N);
          return c;
        });
        expect(bytes([two]).equals(bytes([one])), `${gemm} ${tA}${tB} ${M}x${N}x${K}`).toBe(true);
      }
    }
  });

  it('a tiny GEMM stays on one thread', () => {
    expect(loadAddon().gemmParts(32, 32, 32)).toBe(1);
  });

  it('conv, depthwise and pooling kernels (and their gradients) give bit-identical results', () => {
    const addon = loadAddon();
    const r = rng(5);
    // [batch, inH, inW, inC, outH, outW, outC, fh, fw, sh, sw, dh, dw, padTop, padLeft]
    const conv: ConvParams[] = [[128, 28, 28, 1, 28, 28, 6, 5, 5, 1, 1, 1, 1, 2, 2],
      [77, 14, 14, 6, 10, 10, 16, 5, 5, 1, 1, 1, 1, 0, 0], [300, 15, 13, 8, 8, 7, 12, 3, 3, 2, 2, 1, 1, 1, 1]];
    for (const p of conv) {
      const [n, h, w, ci, oh, ow, co, fh, fw] = p;
      const x = randArray(r, n * h * w * ci);
      const f = randArray(r, fh * fw * ci * co);
      const dy = randArray(r, n * oh * ow * co);
      const run = () => {
        const y = new Float32Array(n * oh * ow * co);
        const dx = new Float32Array(x.length);
        const df = new Float32Array(f.length);
        addon.conv2d(x, f, y, p);
        addon.conv2dBackpropInput(dy, f, dx, p);
        addon.conv2dBackpropFilter(x, dy, df, p);
        const depthwise = [n, h, w, ci, oh, ow, ci, fh, fw, ...p.slice(9)] as ConvParams;
        const dwf = f.subarray(0, fh * fw * ci);
        const dwy = new Float32Array(n * oh * ow * ci);
        const dwdx = new Float32Array(x.length);
        const dwdf = new Float32Array(dwf.length);
        addon.depthwiseConv2d(x, dwf, dwy, depthwise);
        addon.depthwiseConv2dBackpropInput(dy.subarray(0, dwy.length), dwf, dwdx, depthwise);
        addon.depthwiseConv2dBackpropFilter(x, dy.subarray(0, dwy.length), dwdf, depthwise);
        const pooled = new Float32Array(dwy.length);
        const pdx = new Float32Array(x.length);
        addon.pool(x, pooled, depthwise, 0);
        addon.maxPoolGrad(x, dy.subarray(0, dwy.length), pdx, depthwise);
        return [y, dx, df, dwy, dwdx, dwdf, pooled, pdx];
      };
      const [one, two] = onOneAndTwo(run);
      one.forEach((o, k) => expect(bytes([two[k]!]).equals(bytes([o])), `output ${k} of ${p.join(',')}`).toBe(true));
    }
  });

  it('elementwise ops, broadcasting or not, give bit-identical results', () => {
    const addon = loadAddon();
    const r = rng(7);
    const shape = [128, 28, 28, 8];
    const x = randArray(r, 128 * 28 * 28 * 8);
    const y = randArray(r, x.length);
    const c = randArray(r, 8);
    const [one, two] = onOneAndTwo(() => {
      const outs = [0, 1, 2].map(() => new Float32Array(x.length));
      addon.binary(2, x, shape, y, shape, outs[0]!, shape);
      addon.binary(3, x, shape, c, [1, 1, 1, 8], outs[1]!, shape);
      addon.unary(3, x, outs[2]!, 0, 0);
      return outs;
    });
    one.forEach((o, k) => expect(bytes([two[k]!]).equals(bytes([o])), `output ${k}`).toBe(true));
  });

  it('batched products too small to cut give bit-identical results, spread over the items', () => {
    const addon = loadAddon();
    const r = rng(12);
    const [batch, M, N, K] = [32, 128, 128, 32];
    expect(addon.gemmParts(M, N, K)).toBe(1);
    const a = randArray(r, batch * M * K);
    const b = randArray(r, batch * K * N);
    const [one, two] = onOneAndTwo(() => [0, 1].map((tB) => {
      const out = new Float32Array(batch * M * N);
      addon.batchMatMul(a, b, out, batch, tB ? batch : 1, batch, M, N, K, 0, tB);
      return out;
    }));
    one.forEach((o, k) => expect(bytes([two[k]!]).equals(bytes([o])), `output ${k}`).toBe(true));
    // each item as one sgemm call computes it
    const single = new Float32Array(M * N);
    addon.sgemm(0, 1, M, N, K, 1, a.subarray(5 * M * K), K, b.subarray(5 * K * N), K, 0, single, N);
    expect(bytes([one[1]!.subarray(5 * M * N, 6 * M * N)]).equals(bytes([single]))).toBe(true);
  });

  it('reductions (rows, column blocks), softmax and its gradient give bit-identical results', () => {
    const addon = loadAddon();
    const r = rng(8);
    const x = randArray(r, 4096 * 1100, -4, 4);
    const dy = randArray(r, x.length);
    const [one, two] = onOneAndTwo(() => {
      const outs: Float32Array[] = [];
      for (const op of [0, 1, 3]) {
        for (const [pre, red, post] of [[4096, 1100, 1], [1, 4096, 1100], [4, 1024, 1100]] as const) {
          const out = new Float32Array(pre * post);
          addon.reduce(op, x, out, pre, red, post);
          outs.push(out);
        }
      }
      const y = new Float32Array(x.length);
      const dx = new Float32Array(x.length);
      addon.softmax(x, y, 4096 * 10, 110);
      addon.softmaxGrad(y, dy, dx, 4096 * 10, 110);
      return [...outs, y, dx];
    });
    one.forEach((o, k) => expect(bytes([two[k]!]).equals(bytes([o])), `output ${k}`).toBe(true));
  });

  it('the parallel conv and depthwise paths match the cpu backend', async () => {
    const addon = loadAddon();
    addon.threads(2);
    const r = rng(9);
    const x = tf.tensor(randArray(r, 128 * 24 * 24 * 16), [128, 24, 24, 16]);
    const f = tf.tensor(randArray(r, 3 * 3 * 16 * 2), [3, 3, 16, 2]);
    const d = tf.tensor(randArray(r, 3 * 3 * 16 * 1), [3, 3, 16, 1]);
    const loss = (xx: tf.Tensor4D, ff: tf.Tensor4D, dd: tf.Tensor4D) =>
      tf.add(tf.sum(tf.square(tf.conv2d(xx, ff, 1, 'same'))), tf.sum(tf.square(tf.depthwiseConv2d(xx, dd, 1, 'same'))));
    const jobs = addon._poolJobs();
    await expectSameAsCpu(() => tf.grads(loss as (...t: tf.Tensor[]) => tf.Tensor)([x, f, d]),
      { addonFn: 'depthwiseConv2dBackpropFilter', rtol: 1e-3, atol: 1e-3 });
    expect(addon._poolJobs()).toBeGreaterThan(jobs);
    tf.dispose([x, f, d]);
  });
});

describe('CONDENSE_THREADS', () => {
  beforeEach(requireNativeAddon);

  it('sets the thread count the addon starts with; bad values fall back to the default', () => {
    const path = JSON.stringify(process.env.CONDENSE_NATIVE_ADDON ?? join(PACKAGE_ROOT, 'build', 'Release', 'condense_native.node'));
    const threadsWith = (value: string | undefined) => {
      const env = { ...process.env, CONDENSE_THREADS: value };
      if (value === undefined) delete env.CONDENSE_THREADS;
      const out = spawnSync(process.execPath, ['-p', `require(${path}).threads()`], { env, encoding: 'utf8' });
      return Number(out.stdout.trim());
    };
    const fallback = threadsWith(undefined);
    expect(fallback).toBeGreaterThanOrEqual(1);
    expect(threadsWith('1')).toBe(1);
    expect(threadsWith('3')).toBe(3);
    expect(threadsWith('two')).toBe(fallback);
    expect(threadsWith('0')).toBe(fallback);
  });
});
