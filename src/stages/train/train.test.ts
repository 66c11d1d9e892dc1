import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { accuracyAndLoss } from '../../model/inspect.js';
import { CONSTANT_LR, mlpTestState, runTestStage, TEST_ADAM } from '../testing.js';
import { UsageError } from '../../errors.js';
import type { StageSnapshot } from '../types.js';
import { augmentProblems, trainStage } from './train.js';

let data: Dataset;
beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(800);
});

const weightsOf = (state: { model: { getWeights(): Array<{ dataSync(): ArrayLike<number> }> } }) => state.model.getWeights().map((w) => Array.from(w.dataSync()));

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

  it('augment: jittered epochs change the result, and a resumed run gets the same weights as an uninterrupted one', async () => {
    const images = { ...data, imageShape: [28, 28, 1] as [number, number, number] };
    const params = { epochs: 3, batchSize: 64, optimizer: TEST_ADAM, lrSchedule: CONSTANT_LR, augment: { shift: 2 } };
    const snapshots: StageSnapshot[] = [];
    const whole = await runTestStage(trainStage, params, mlpTestState(5), images, { saveSnapshot: async (s) => { snapshots.push(s); } });
    expect(snapshots.map((s) => s.epoch)).toEqual([1, 2]);
    const resumed = await runTestStage(trainStage, params, mlpTestState(5), images, { resume: snapshots[0] });
    expect(weightsOf(resumed.state)).toEqual(weightsOf(whole.state));
    const plain = await runTestStage(trainStage, { ...params, augment: { shift: 0 } }, mlpTestState(5), images);
    expect(weightsOf(plain.state)).not.toEqual(weightsOf(whole.state));
    // The data the stage was given stays as it was.
    expect(images.train.x).toBe(data.train.x);
  });

  it('augment: refused on data that are not images, before and when the stage runs', async () => {
    const run = runTestStage(trainStage, { epochs: 1, batchSize: 64, optimizer: TEST_ADAM, augment: { shift: 1 } }, mlpTestState(), data);
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(/augment\.shift moves image pixels, but dataset "mnist" has examples of shape \[784\]/);
    const context = (spec: object) => ({ model: {}, earlier: [], recipe: { data: spec } as never });
    expect(augmentProblems({ augment: { shift: 2 } }, context({ dataset: 'spam-assassin', vocabSize: 2000 }))).toMatchObject([{ path: ['augment', 'shift'], keyword: 'augment' }]);
    expect(augmentProblems({ augment: { shift: 2 } }, context({ dataset: 'mnist' }))).toEqual([]);
    expect(augmentProblems({ augment: { shift: 0 } }, context({ dataset: 'spam-assassin', vocabSize: 2000 }))).toEqual([]);
  });
});
