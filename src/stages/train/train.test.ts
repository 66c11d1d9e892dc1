import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { accuracyAndLoss } from '../../model/inspect.js';
import { CONSTANT_LR, mlpTestState, runTestStage, TEST_ADAM } from '../testing.js';
import { trainStage } from './train.js';

let data: Dataset;
beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(800);
});

describe('train', () => {
  it('follows the learning-rate schedule and stops early when the loss stalls', async () => {
    const { history } = await runTestStage(trainStage, {
      epochs: 6, batchSize: 64, optimizer: TEST_ADAM, lrSchedule: { kind: 'step', decay: 0.5, every: 1 },
      earlyStopping: { patience: 1, minDelta: 10 },
    }, mlpTestState(), data);
    // No epoch can improve the loss by 10: the second epoch is the last.
    expect(history!.map((h) => h.learningRate)).toEqual([0.01, 0.005]);
  });

  it('raises held-out accuracy well above chance and reports epoch progress', async () => {
    const state = mlpTestState();
    const before = accuracyAndLoss(state.model, data.test, data).accuracy;
    const { state: out, history, events } = await runTestStage(trainStage, { epochs: 3, batchSize: 32, optimizer: TEST_ADAM, lrSchedule: CONSTANT_LR }, state, data);
    const after = accuracyAndLoss(out.model, data.test, data).accuracy;
    expect(after).toBeGreaterThan(0.6);
    expect(after).toBeGreaterThan(before + 0.3);
    expect(history).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ epoch: 3, epochs: 3 });
  });

  it('is deterministic: same seed, same weights', async () => {
    const params = { epochs: 1, batchSize: 64, optimizer: TEST_ADAM, lrSchedule: CONSTANT_LR };
    const a = await runTestStage(trainStage, params, mlpTestState(5), data);
    const b = await runTestStage(trainStage, params, mlpTestState(5), data);
    const wa = a.state.model.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.state.model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wa).toEqual(wb);
  });
});
