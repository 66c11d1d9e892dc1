import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { keyedWeights, readWeight } from '../../model/weights.js';
import { pruneStage } from '../prune/prune.js';
import { CONSTANT_LR, mlpTestState, runTestStage, TEST_ADAM, testPruneParams } from '../testing.js';
import { finetuneStage } from './finetune.js';

let data: Dataset;
beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(800);
});

describe('finetune', () => {
  it('keeps every pruned weight at zero while the others train', async () => {
    const pruned = await runTestStage(pruneStage, testPruneParams({ sparsity: 0.75 }), mlpTestState(), data);
    const before = readWeight(keyedWeights(pruned.state.model).find((w) => w.key === 'dense1/kernel')!);
    const { state } = await runTestStage(finetuneStage, { epochs: 1, batchSize: 32, optimizer: TEST_ADAM, lrSchedule: CONSTANT_LR }, pruned.state, data);
    const after = readWeight(keyedWeights(state.model).find((w) => w.key === 'dense1/kernel')!);
    let changed = 0;
    for (let i = 0; i < before.length; i++) {
      if (before[i] === 0) expect(after[i] === 0).toBe(true); // -0 counts as zero
      else if (after[i] !== before[i]) changed++;
    }
    expect(changed).toBeGreaterThan(before.filter((v) => v !== 0).length * 0.5);
  });
});
