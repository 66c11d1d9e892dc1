import { describe, expect, it } from 'vitest';
import { levelWithin, proposeLevels } from './sensitivity.js';

const LADDER = [0.5, 0.8, 0.9];

describe('sensitivity proposal', () => {
  it('a layer takes the highest level within the tolerance, interpolated between rungs, never past a worse one', () => {
    expect(levelWithin(LADDER, [0, 0.01, 0.05], 0.01)).toBeCloseTo(0.8, 9);
    expect(levelWithin(LADDER, [0, 0.01, 0.05], 0.03)).toBeCloseTo(0.85, 9);
    expect(levelWithin(LADDER, [0.02, 0, 0], 0.01)).toBeCloseTo(0.25, 9);
    expect(levelWithin(LADDER, [0, 0, 0], 0)).toBe(0.9);
  });

  it('meets an overall sparsity with the smallest shared tolerance: the robust layer goes further', () => {
    const layers = [
      { name: 'big', params: 900, drops: [0, 0.001, 0.004] },
      { name: 'small', params: 100, drops: [0.01, 0.05, 0.2] },
    ];
    const p = proposeLevels(LADDER, layers, { sparsity: 0.8 })!;
    expect(p.sparsity).toBeGreaterThanOrEqual(0.8 - 1e-9);
    expect(p.sparsity).toBeLessThan(0.81);
    expect(p.levels.big!).toBeGreaterThan(p.levels.small!);
    for (const l of layers) expect(levelWithin(LADDER, l.drops, p.tolerance)).toBeCloseTo(p.levels[l.name]!, 3);
    // A smaller tolerance falls short of the target.
    const tighter = proposeLevels(LADDER, layers, { maxDrop: p.tolerance * 0.9 })!;
    expect(tighter.sparsity).toBeLessThan(0.8);
  });

  it('an accuracy budget bounds each layer alone; an unreachable sparsity gives no proposal', () => {
    const layers = [{ name: 'a', params: 10, drops: [0, 0.02, 0.1] }, { name: 'b', params: 10, drops: [0.03, 0.04, 0.06] }];
    expect(proposeLevels(LADDER, layers, { maxDrop: 0.02 })!.levels).toEqual({ a: 0.8, b: 0.3333 });
    expect(proposeLevels(LADDER, layers, { sparsity: 0.95 })).toBeUndefined();
  });
});
