import { describe, expect, it } from 'vitest';
import { compareRuns, diffRecipes, flattenRecipe, renderCompareHtml, renderCompareText } from './compare.js';
import type { RunInfo } from './compare.js';
import type { Report } from './report.js';

const recipe = (sparsity: number, extra: Record<string, unknown> = {}) => ({
  version: 1, name: 'tiny', seed: 11, model: { builtin: 'mlp', hidden: [32] },
  stages: [{ name: 'baseline', type: 'train', epochs: 2 }, { name: 'prune', type: 'prune', sparsity, include: ['re:^dense'] }],
  ...extra,
});

const report = (accuracy: number, sizeBytes: number): Report => ({
  name: 'tiny', backend: 'wasm', backendVersion: '4.22.0', seed: 11, recipeHash: 'a'.repeat(64), seconds: 2,
  stages: [{ name: 'baseline', type: 'train', status: 'ran', seconds: 1, metrics: { accuracy: 0.9 }, history: [] }],
  baseline: { stage: 'baseline', metrics: { accuracy: 0.9, sizeBytes: 100_000 } },
  final: { metrics: { accuracy, sizeBytes } }, gates: [],
});

describe('flattenRecipe', () => {
  it('addresses stages by name and keeps scalar arrays whole, as --set does', () => {
    const flat = flattenRecipe(recipe(0.8));
    expect(flat.get('stages.prune.sparsity')).toBe(0.8);
    expect(flat.get('stages.baseline.epochs')).toBe(2);
    expect(flat.get('model.hidden')).toEqual([32]);
    expect(flat.get('stages.prune.include')).toEqual(['re:^dense']);
    expect([...flat.keys()]).not.toContain('stages.0.name');
  });
});

describe('diffRecipes', () => {
  it('lists exactly the values that differ, with null where a run lacks the path', () => {
    expect(diffRecipes([recipe(0.8), recipe(0.6)])).toEqual([{ path: 'stages.prune.sparsity', values: [0.8, 0.6] }]);
    expect(diffRecipes([recipe(0.8), recipe(0.8, { gates: { accuracy: { min: 0.9 } } })]))
      .toEqual([{ path: 'gates.accuracy.min', values: [null, 0.9] }]);
    expect(diffRecipes([recipe(0.8), recipe(0.8)])).toEqual([]);
  });
});

describe('compareRuns', () => {
  const runs: RunInfo[] = [
    { dir: '/r/a', label: 'a', report: report(0.88, 25_000), recipe: recipe(0.8) },
    { dir: '/r/b', label: '<b>', report: report(0.86, 20_000), recipe: recipe(0.6) },
  ];
  const c = compareRuns(runs);

  it('gives final metrics with differences from the first run, relative metrics included', () => {
    const by = Object.fromEntries(c.metrics.map((m) => [m.metric, m]));
    expect(by.accuracy!.values).toEqual([0.88, 0.86]);
    expect(by.accuracy!.deltas[1]).toBeCloseTo(-0.02, 12);
    expect(by.sizeBytes!.deltas).toEqual([0, -5000]);
    expect(by.sizeRatio!.values).toEqual([0.25, 0.2]);
    expect(by.accuracyDrop!.values[1]).toBeCloseTo(0.04, 12);
  });

  it('renders text and escaped HTML with the differing value and a chart point per run', () => {
    const text = renderCompareText(c);
    expect(text).toMatch(/stages\.prune\.sparsity\s+0\.8\s+0\.6/);
    expect(text).toMatch(/sizeBytes\s+25,000\s+20,000 \(−5,000\)/);
    const html = renderCompareHtml(c);
    expect(html).toContain('<code>stages.prune.sparsity</code>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;b&gt;');
    expect(html.match(/<circle /g)).toHaveLength(2);
  });
});
