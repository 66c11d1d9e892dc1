import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { keyedWeights, readWeight } from '../../model/weights.js';
import { mlpTestState, runTestStage, testPruneParams } from '../testing.js';
import type { ModelState } from '../types.js';
import { pruneStage } from './prune.js';

let data: Dataset;
beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(400);
});

const zeros = (state: ModelState, key: string) => {
  const v = readWeight(keyedWeights(state.model).find((w) => w.key === key)!);
  return v.filter((x) => x === 0).length / v.length;
};

describe('prune with per-layer sparsity', () => {
  it('one-shot: each layer reaches its own target; a layer no key names stays dense', async () => {
    const { state } = await runTestStage(pruneStage, testPruneParams({ sparsity: { dense1: 0.9, output: 0.5 } }), mlpTestState(1, [16, 12]), data);
    expect(zeros(state, 'dense1/kernel')).toBeCloseTo(0.9, 2);
    expect(zeros(state, 'output/kernel')).toBeCloseTo(0.5, 2);
    expect(zeros(state, 'dense2/kernel')).toBe(0);
    expect(state.masks.has('dense2/kernel')).toBe(false);
  });

  it('gradual: the schedule rises to each layer\'s target and reports the mean target reached', async () => {
    const schedule = { kind: 'polynomial' as const, epochs: 1, power: 3, initialSparsity: 0, updateEvery: 2 };
    const { state, history } = await runTestStage(pruneStage, testPruneParams({ sparsity: { dense1: 0.8, 'type:Dense': 0.4 }, schedule }), mlpTestState(), data);
    expect(zeros(state, 'dense1/kernel')).toBeCloseTo(0.8, 2);
    expect(zeros(state, 'output/kernel')).toBeCloseTo(0.4, 2);
    const mean = (0.8 * 784 * 16 + 0.4 * 16 * 10) / (784 * 16 + 16 * 10);
    expect(history!.at(-1)!.sparsity).toBeGreaterThan(0.5 * mean);
    expect(history!.at(-1)!.sparsity).toBeLessThanOrEqual(mean + 1e-12);
  });

  it('check: a key matching no layer is located at that key; nm refuses a map', () => {
    const model = { layers: [{ name: 'dense1', className: 'Dense' }, { name: 'output', className: 'Dense' }] };
    const context = { model, earlier: [], recipe: {} as never };
    expect(pruneStage.check!(testPruneParams({ sparsity: { dense1: 0.9, dense9: 0.5 } }), context)).toEqual([
      expect.objectContaining({ path: ['sparsity', 'dense9'], key: true, message: 'selector "dense9" matches no layer' }),
    ]);
    expect(pruneStage.check!(testPruneParams({ method: 'nm', sparsity: { dense1: 0.5 } }), context)).toEqual([
      expect.objectContaining({ path: ['sparsity'], message: expect.stringMatching(/per-layer sparsity map does not apply/) }),
    ]);
  });
});
