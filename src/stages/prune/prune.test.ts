import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { parameterStats } from '../../model/inspect.js';
import { prunableWeights, readWeight, SelectorError, selectLayers } from '../../model/weights.js';
import { mlpTestState, runTestStage, testPruneParams } from '../testing.js';
import { pruneStage } from './prune.js';

let data: Dataset;
beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(800);
});

describe('prune', () => {
  it('oneShot reaches the target sparsity exactly over the selected kernels', async () => {
    const { state } = await runTestStage(pruneStage, testPruneParams({ sparsity: 0.8, include: ['re:^dense'] }), mlpTestState(), data);
    const kernel = readWeight(prunableWeights(state.model).find((w) => w.key === 'dense1/kernel')!);
    const zeros = kernel.filter((v) => v === 0).length;
    expect(zeros).toBe(Math.floor(0.8 * kernel.length));
    const output = readWeight(prunableWeights(state.model).find((w) => w.key === 'output/kernel')!);
    expect(output.filter((v) => v === 0).length).toBe(0);
  });

  it('polynomial raises sparsity during training and ends at the target', async () => {
    const { state, events } = await runTestStage(pruneStage,
      testPruneParams({ sparsity: 0.7, schedule: { kind: 'polynomial', epochs: 2, power: 3, initialSparsity: 0 } }), mlpTestState(), data);
    const sparsities = events.map((e) => e.sparsity!);
    expect(sparsities[0]).toBe(0);
    expect(Math.max(...sparsities)).toBeGreaterThan(0.5);
    for (let i = 1; i < sparsities.length; i++) expect(sparsities[i]!).toBeGreaterThanOrEqual(sparsities[i - 1]!);
    expect(parameterStats(state.model).sparsity).toBeCloseTo(0.7, 2);
  });

  it('layer scope prunes every layer to the target', async () => {
    const { state } = await runTestStage(pruneStage, testPruneParams({ sparsity: 0.5, scope: 'layer' }), mlpTestState(), data);
    for (const w of prunableWeights(state.model)) {
      const v = readWeight(w);
      expect(v.filter((x) => x === 0).length).toBe(Math.floor(0.5 * v.length));
    }
  });

  it('nm keeps exactly n of every m weights down each column of each selected kernel', async () => {
    const { state } = await runTestStage(pruneStage, testPruneParams({ method: 'nm', n: 2, m: 4, include: ['dense1'] }), mlpTestState(), data);
    const kernel = readWeight(prunableWeights(state.model).find((w) => w.key === 'dense1/kernel')!);
    const outputs = 16;
    for (let o = 0; o < outputs; o++) {
      for (let start = 0; start < 784; start += 4) {
        let kept = 0;
        for (let r = start; r < start + 4; r++) if (kernel[r * outputs + o] !== 0) kept++;
        expect(kept).toBe(2);
      }
    }
    expect(parameterStats(state.model).sparsity).toBeGreaterThan(0.45);
  });

  it('a selector that matches nothing is an error naming it', async () => {
    const s = mlpTestState();
    expect(() => selectLayers(s.model, ['re:^conv'], [])).toThrow(SelectorError);
    expect(() => selectLayers(s.model, ['dens1'], [])).toThrow(/"dens1" matched no layer/);
    expect(selectLayers(s.model, ['type:Dense'], ['output']).map((l) => l.name)).toEqual(['dense1']);
  });
});
