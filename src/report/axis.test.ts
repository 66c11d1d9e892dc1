import { describe, expect, it } from 'vitest';
import { byteUnit, fitAxis, niceStep, niceTicks } from './axis.js';

describe('niceStep and niceTicks', () => {
  it('picks 1, 2, 2.5 or 5 × 10^k and ticks covering the range', () => {
    expect(niceStep(1)).toBe(0.2);
    expect(niceStep(1.12)).toBe(0.25);
    expect(niceStep(1e-3)).toBeCloseTo(2e-4, 15);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.5, 1.62)).toEqual([0.5, 0.75, 1, 1.25, 1.5]);
  });
});

describe('fitAxis', () => {
  it('ticks a byte axis at round numbers of the unit it shows, up to a tick at or above the largest value', () => {
    // The quickstart's sizes: a float32 baseline of 1,068,518 bytes and a quantized 269,229.
    const axis = fitAxis([1_068_518, 983_385, 269_229, 52_079], { unit: 'bytes', zero: true });
    expect(axis.ticks.map(axis.format)).toEqual(['0', '0.25 MiB', '0.50 MiB', '0.75 MiB', '1.00 MiB', '1.25 MiB']);
    expect(axis.max).toBe(axis.ticks.at(-1));
    expect(axis.max).toBeGreaterThanOrEqual(1_068_518);
    expect(axis.min).toBe(0);
    const kib = fitAxis([103_331, 27_346], { unit: 'bytes', zero: true });
    expect(kib.ticks.map(kib.format)).toEqual(['0', '25 KiB', '50 KiB', '75 KiB', '100 KiB', '125 KiB']);
    for (const t of kib.ticks) expect((t / 1024) % 25).toBe(0);
  });

  it('never lets a value pass the last tick, whatever the values', () => {
    for (const max of [1, 7, 99, 1023, 1024, 250_001, 1_068_518, 5e9, 0.0137]) {
      for (const unit of ['plain', 'bytes', 'percent'] as const) {
        const axis = fitAxis([max / 3, max], { unit, zero: true });
        expect(axis.ticks.at(-1)!, `${unit} ${max}`).toBeGreaterThanOrEqual(max);
        expect(axis.ticks[0]!).toBeLessThanOrEqual(max / 3);
        expect(axis.ticks.length).toBeGreaterThanOrEqual(3);
        expect(axis.ticks.length).toBeLessThanOrEqual(7);
      }
    }
  });

  it('fits a constant learning rate of 0.001 on its own axis, not on 0–100%', () => {
    const axis = fitAxis([0.001, 0.001, 0.001], { zero: true });
    expect(axis.min).toBe(0);
    expect(axis.max).toBeCloseTo(0.001, 12);
    expect(axis.ticks.map(axis.format)).toEqual(['0.0000', '0.0002', '0.0004', '0.0006', '0.0008', '0.0010']);
    // Without zero in range: padded around the value.
    const padded = fitAxis([0.001, 0.001]);
    expect(padded.min).toBeLessThan(0.001);
    expect(padded.max).toBeGreaterThan(0.001);
  });

  it('fits accuracy as percents to its own range and never past 100%', () => {
    const axis = fitAxis([0.9455, 0.9485, 0.95], { unit: 'percent', clamp: [0, 1] });
    expect(axis.ticks.map(axis.format)).toEqual(['94.5%', '94.6%', '94.7%', '94.8%', '94.9%', '95.0%']);
    const high = fitAxis([0.97, 0.999], { unit: 'percent', clamp: [0, 1] });
    expect(high.max).toBe(1);
    expect(high.ticks.at(-1)).toBe(1);
  });

  it('whole-number ticks for epochs, and a unit for bytes by the largest value', () => {
    const epochs = fitAxis([1, 2, 3], { integer: true });
    expect(epochs.ticks.every(Number.isInteger)).toBe(true);
    expect(epochs.ticks[0]).toBeLessThanOrEqual(1);
    expect(epochs.ticks.at(-1)).toBeGreaterThanOrEqual(3);
    expect(byteUnit(900)[0]).toBe('B');
    expect(byteUnit(2048)[0]).toBe('KiB');
    expect(byteUnit(3 * 1024 * 1024)[0]).toBe('MiB');
  });
});
