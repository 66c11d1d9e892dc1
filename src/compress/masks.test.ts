import { describe, expect, it } from 'vitest';
import { combineMasks, magnitudeMasks, maskSparsity } from './masks.js';
import { polynomialSparsity } from './schedule.js';

const weights = [
  { key: 'a/kernel', values: Float32Array.from([0.1, -0.9, 0.5, -0.05, 0.3, 0.7]) },
  { key: 'b/kernel', values: Float32Array.from([2, -3, 0.01, 4]) },
];

describe('magnitude masks', () => {
  it('global scope zeros exactly floor(s·n) of the smallest |w| across all weights', () => {
    const masks = magnitudeMasks(weights, 0.5, 'global');
    expect(Array.from(masks.get('a/kernel')!)).toEqual([0, 1, 0, 0, 0, 1]);
    expect(Array.from(masks.get('b/kernel')!)).toEqual([1, 1, 0, 1]);
  });

  it('layer scope prunes each weight to the target on its own', () => {
    const masks = magnitudeMasks(weights, 0.5, 'layer');
    expect(maskSparsity(masks.get('a/kernel')!)).toBe(0.5);
    expect(maskSparsity(masks.get('b/kernel')!)).toBe(0.5);
    expect(Array.from(masks.get('b/kernel')!)).toEqual([0, 1, 0, 1]);
  });

  it('combining keeps entries an earlier mask pruned', () => {
    expect(Array.from(combineMasks(Float32Array.from([0, 1, 1]), Float32Array.from([1, 1, 0])))).toEqual([0, 1, 0]);
  });
});

describe('polynomial schedule (Zhu & Gupta)', () => {
  it('starts at the initial sparsity, ends at the final one, rises fastest early', () => {
    expect(polynomialSparsity(0, 0, 0.9, 3)).toBe(0);
    expect(polynomialSparsity(1, 0, 0.9, 3)).toBeCloseTo(0.9, 12);
    expect(polynomialSparsity(0.5, 0, 0.9, 3)).toBeCloseTo(0.9 - 0.9 * 0.125, 12);
    expect(polynomialSparsity(0.25, 0, 0.9, 3) - polynomialSparsity(0, 0, 0.9, 3))
      .toBeGreaterThan(polynomialSparsity(1, 0, 0.9, 3) - polynomialSparsity(0.75, 0, 0.9, 3));
  });
});

describe('magnitude masks against a sort', () => {
  it('prunes exactly the floor(s·n) smallest |w|, ties in position order, over random data, ties, signed zeros and extremes', () => {
    let seed = 9;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
    for (const n of [1, 2, 7, 100, 5000]) {
      // Few distinct values (many ties), both signs, -0 and +0, and magnitudes across many exponents.
      const values = Float32Array.from({ length: n }, (_, i) => (i % 11 === 0 ? (i % 2 ? -0 : 0) : (rand() < 0.5 ? -1 : 1) * Math.round(rand() * 50) * 10 ** (Math.floor(rand() * 8) - 4)));
      const order = Array.from(values.keys()).sort((x, y) => Math.abs(values[x]!) - Math.abs(values[y]!) || x - y);
      for (const sparsity of [0, 0.3, 0.5, 0.999, 1]) {
        const prune = Math.floor(sparsity * n);
        const expected = new Float32Array(n).fill(1);
        for (const i of order.slice(0, prune)) expected[i] = 0;
        const half = n >> 1;
        const group = [{ key: 'a', values: values.subarray(0, half) }, { key: 'b', values: values.subarray(half) }];
        const masks = magnitudeMasks(group, sparsity, 'global');
        expect([...masks.get('a')!, ...masks.get('b')!]).toEqual([...expected]);
      }
    }
  });
});

describe('N:M masks', () => {
  it('keeps the n largest |w| of every m consecutive weights down each output column', async () => {
    const { nmMask } = await import('./masks.js');
    // A [4, 2] kernel, row-major: column 0 is [0.1, -0.9, 0.5, 0.05], column 1 is [3, 1, -2, 4].
    const kernel = Float32Array.from([0.1, 3, -0.9, 1, 0.5, -2, 0.05, 4]);
    expect(Array.from(nmMask(kernel, 2, 2, 4))).toEqual([0, 1, 1, 0, 1, 0, 0, 1]);
    // 1:2 on the same kernel: one survivor per pair in each column.
    expect(Array.from(nmMask(kernel, 2, 1, 2))).toEqual([0, 1, 1, 0, 1, 0, 0, 1]);
    // Every group of 4 keeps exactly 2: 50% sparsity on a random kernel.
    const big = Float32Array.from({ length: 8 * 3 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    const mask = nmMask(big, 3, 2, 4);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(12);
  });
});
