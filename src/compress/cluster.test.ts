import { describe, expect, it } from 'vitest';
import { Prng } from '../util/prng.js';
import { clusterValues, initialCentroids, sharedValues, snapToGrid } from './cluster.js';
import type { ClusterOptions } from './cluster.js';
import { chooseQuantization, dequantizeValues, quantizeValues } from './quantize.js';

/** Roughly normal weights (sum of uniforms), a fraction of them pruned to zero. */
function weights(n: number, seed: number, zeroFraction = 0): Float32Array {
  const prng = new Prng(seed);
  return Float32Array.from({ length: n }, () => (prng.next() < zeroFraction ? 0 : (prng.next() + prng.next() + prng.next() - 1.5) * 0.1));
}

const options = (over: Partial<ClusterOptions> = {}): ClusterOptions => {
  const prng = new Prng(7);
  return { clusters: 16, init: 'linear', preserveSparsity: true, grid: 'uint8', random: () => prng.next(), ...over };
};

const distinct = (a: Float32Array) => new Set(a).size;

describe('k-means weight sharing', () => {
  it('finds the obvious clusters of well-separated data', () => {
    const values = Float32Array.from([1, 1.1, 0.9, 5, 5.2, 4.8, 9, 9.1, 8.9]);
    for (const init of ['linear', 'density', 'kmeans++'] as const) {
      const c = clusterValues(values, options({ clusters: 3, init, grid: 'none', preserveSparsity: false }));
      expect([...c.centroids].map((v) => Math.round(v * 1000) / 1000), init).toEqual([1, 5, 9]);
      expect([...c.assignments]).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    }
  });

  it('linear init spaces centroids evenly over [min, max]; density follows the quantiles', () => {
    const sorted = Float64Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 100]);
    expect(initialCentroids(sorted, 3, { init: 'linear', random: Math.random })).toEqual([0, 50, 100]);
    expect(initialCentroids(sorted, 2, { init: 'density', random: Math.random })).toEqual([2, 7]);
  });

  for (const init of ['linear', 'density', 'kmeans++'] as const) {
    it(`${init}: at most K distinct values, zeros pinned, nonzeros never made zero, deterministic`, () => {
      const values = weights(20000, 3, 0.9);
      const c = clusterValues(values, options({ init }));
      const shared = sharedValues(c);
      expect(distinct(shared)).toBeLessThanOrEqual(16);
      expect(distinct(shared)).toBeGreaterThan(8);
      expect(c.pinnedZero).toBe(true);
      for (let i = 0; i < values.length; i++) if (values[i] === 0) expect(shared[i]).toBe(0);
      expect(values.filter((v) => v !== 0).length).toBe(shared.filter((v) => v !== 0).length);
      expect(clusterValues(values, options({ init })).assignments).toEqual(c.assignments);
    });
  }

  it('k-means lowers the squared error below that of its starting centroids', () => {
    const values = weights(5000, 5);
    const error = (a: Float32Array) => a.reduce((s, v, i) => s + (v - values[i]!) ** 2, 0);
    const fitted = clusterValues(values, options({ grid: 'none', preserveSparsity: false, clusters: 8 }));
    const start = clusterValues(values, options({ grid: 'none', preserveSparsity: false, clusters: 8, maxIterations: 0 }));
    expect(error(sharedValues(fitted))).toBeLessThan(error(sharedValues(start)) * 0.9);
  });

  for (const grid of ['uint8', 'uint16'] as const) {
    it(`${grid}: centroids lie on the grid a later quantize chooses, so decoding gives them back exactly`, () => {
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const values = weights(3000, seed, seed % 2 ? 0.5 : 0);
        const c = clusterValues(values, options({ grid, clusters: 2 + seed * 9, preserveSparsity: seed % 2 === 1 }));
        const shared = sharedValues(c);
        const spec = chooseQuantization(shared, grid);
        expect(spec).toEqual(c.grid);
        expect(dequantizeValues(quantizeValues(shared, spec), spec)).toEqual(shared);
        expect(distinct(shared)).toBeLessThanOrEqual(2 + seed * 9);
      }
    });
  }

  it('snapping keeps zero exact and iterates to the fixed point of chooseQuantization', () => {
    const { spec, snapped } = snapToGrid([-0.123456, 0.0311, 0.987654], 'uint8', true);
    const again = chooseQuantization(Float32Array.from([...snapped, 0]), 'uint8');
    expect(again).toEqual(spec);
    expect(Math.fround(-spec.min! / spec.scale!) % 1).toBe(0);
  });
});
