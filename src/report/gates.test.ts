import { describe, expect, it } from 'vitest';
import { checkGates, describeGate, RELATIVE_GATES } from './gates.js';

describe('checkGates', () => {
  const metrics = { accuracy: 0.9, sizeBytes: 1000 };

  it('checks absolute gates against the final metrics, bounds inclusive', () => {
    const results = checkGates({ accuracy: { min: 0.9 }, sizeBytes: { max: 999 } }, metrics);
    expect(results).toEqual([
      { metric: 'accuracy', min: 0.9, value: 0.9, passed: true },
      { metric: 'sizeBytes', max: 999, value: 1000, passed: false },
    ]);
    expect(checkGates({ accuracy: { min: 0.8, max: 0.9 } }, metrics)[0]!.passed).toBe(true);
    expect(checkGates({ accuracy: { min: 0.91, max: 1 } }, metrics)[0]!.passed).toBe(false);
  });

  it('checks relative gates against the relative metrics, naming the baseline stage', () => {
    const results = checkGates({ accuracyDrop: { max: 0.02 }, sizeRatio: { max: 0.3 } }, { accuracyDrop: 0 }, { accuracyDrop: 0.01, sizeRatio: 0.5 }, 'train');
    expect(results).toEqual([
      { metric: 'accuracyDrop', max: 0.02, value: 0.01, passed: true, baseline: 'train' },
      { metric: 'sizeRatio', max: 0.3, value: 0.5, passed: false, baseline: 'train' },
    ]);
  });

  it('fails a gate whose value was not measured, recording null', () => {
    expect(checkGates({ latencyMs: { max: 5 }, sizeRatio: { max: 1 } }, metrics)).toEqual([
      { metric: 'latencyMs', max: 5, value: null, passed: false },
      { metric: 'sizeRatio', max: 1, value: null, passed: false },
    ]);
  });

  it('has no results without gates', () => {
    expect(checkGates(undefined, metrics)).toEqual([]);
    expect(checkGates({}, metrics)).toEqual([]);
  });
});

describe('describeGate', () => {
  it('shows value, bounds and outcome', () => {
    expect(describeGate({ metric: 'accuracy', min: 0.95, value: 0.91, passed: false })).toBe('accuracy = 0.91 (min 0.95): NOT met');
    expect(describeGate({ metric: 'accuracy', min: 0.5, max: 1, value: 0.91, passed: true })).toBe('accuracy = 0.91 (min 0.5, max 1): met');
  });

  it('rounds to 6 significant digits and says when nothing was measured', () => {
    expect(describeGate({ metric: 'loss', max: 1, value: 0.123456789, passed: true })).toBe('loss = 0.123457 (max 1): met');
    expect(describeGate({ metric: 'latencyMs', max: 5, value: null, passed: false })).toBe('latencyMs = not measured (max 5): NOT met');
  });

  it('says what a relative gate compares, and with which stage', () => {
    expect(describeGate({ metric: 'sizeRatio', max: 0.3, value: 0.25, passed: true, baseline: 'train' }))
      .toBe(`sizeRatio = 0.25 (max 0.3; ${RELATIVE_GATES.sizeRatio}, baseline stage "train"): met`);
    expect(describeGate({ metric: 'accuracyDrop', max: 0.01, value: 0.02, passed: false }))
      .toBe('accuracyDrop = 0.02 (max 0.01; baseline accuracy − final accuracy): NOT met');
  });
});
