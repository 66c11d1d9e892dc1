import { describe, expect, it } from 'vitest';
import { learningRateAt, shouldStopEarly } from './lr-schedule.js';

describe('learning-rate schedules', () => {
  it('constant, step, exponential and cosine give the documented rates', () => {
    expect(learningRateAt({ kind: 'constant' }, 0.1, 5, 10)).toBe(0.1);
    expect([1, 2, 3, 4, 5].map((e) => learningRateAt({ kind: 'step', decay: 0.5, every: 2 }, 1, e, 5))).toEqual([1, 1, 0.5, 0.5, 0.25]);
    expect(learningRateAt({ kind: 'exponential' }, 1, 3, 5)).toBeCloseTo(0.81, 12);
    expect(learningRateAt({ kind: 'cosine', minLearningRate: 0.1 }, 1, 1, 4)).toBe(1);
    expect(learningRateAt({ kind: 'cosine', minLearningRate: 0.1 }, 1, 3, 4)).toBeCloseTo(0.55, 12);
  });
});

describe('early stopping', () => {
  it('stops after `patience` epochs without an improvement larger than minDelta', () => {
    expect(shouldStopEarly([1, 0.9, 0.8], { patience: 2, minDelta: 0 })).toBe(false);
    expect(shouldStopEarly([1, 0.9, 0.95, 0.91], { patience: 2, minDelta: 0 })).toBe(true);
    expect(shouldStopEarly([1, 0.99, 0.98], { patience: 2, minDelta: 0.05 })).toBe(true);
    expect(shouldStopEarly([1], { patience: 1, minDelta: 0 })).toBe(false);
  });
});
