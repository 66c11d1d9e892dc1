import { describe, expect, it } from 'vitest';
import { groupByTarget, targetFor, targetKeyProblems } from './layer-targets.js';

const fc1 = { name: 'fc1', className: 'Dense' };
const output = { name: 'output', className: 'Dense' };
const conv = { name: 'conv1', className: 'Conv2D' };

describe('per-layer targets', () => {
  it('a number applies to every layer; a map by exact name first, then the first matching selector', () => {
    expect(targetFor(0.5, conv)).toBe(0.5);
    const map = { 'type:Dense': 0.9, output: 0.7, 're:^conv': 0.3 };
    expect(targetFor(map, fc1)).toBe(0.9);
    expect(targetFor(map, output)).toBe(0.7);
    expect(targetFor(map, conv)).toBe(0.3);
    expect(targetFor({ fc1: 0.9 }, output)).toBeUndefined();
  });

  it('groups items: one group for a number, one per matched item for a map', () => {
    const items = [fc1, output, conv];
    expect(groupByTarget(items, 0.8, (l) => l)).toEqual([{ target: 0.8, items }]);
    expect(groupByTarget(items, { fc1: 0.92, output: 0.74 }, (l) => l)).toEqual([{ target: 0.92, items: [fc1] }, { target: 0.74, items: [output] }]);
  });

  it('names the keys that match no layer, only once layers are known', () => {
    expect(targetKeyProblems({ fc1: 0.9, fc9: 0.5 }, [fc1, output], 'sparsity')).toEqual([
      { path: ['sparsity', 'fc9'], key: true, message: 'selector "fc9" matches no layer', hint: 'layers: fc1, output' },
    ]);
    expect(targetKeyProblems({ fc9: 0.5 }, undefined, 'sparsity')).toEqual([]);
    expect(targetKeyProblems(0.5, [fc1], 'sparsity')).toEqual([]);
  });
});
