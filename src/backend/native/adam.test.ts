import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FusedAdamOptimizer } from './adam.js';
import { requireNativeAddon } from '../../../test/helpers.js';
import { NATIVE_AVAILABLE, addonCalls, randArray, rng, setupNative } from './testing.js';

/** Applies `steps` random gradients to two variables with `make()`'s optimizer on `backend`. */
async function applyRandomGradients(backend: string, make: () => tf.Optimizer, steps: number, learningRate?: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const r = rng(5);
  const a = tf.variable(tf.tensor(randArray(r, 300 * 7), [300, 7]), true, 'adam-test-a');
  const b = tf.variable(tf.tensor(randArray(r, 7), [7]), true, 'adam-test-b');
  const opt = make();
  for (let step = 0; step < steps; step++) {
    if (learningRate !== undefined && step === 2) (opt as unknown as { learningRate: number }).learningRate = learningRate;
    const grads = [a, b].map((v) => ({ name: v.name, tensor: tf.tensor(randArray(r, v.size, -2, 2), v.shape) }));
    opt.applyGradients(grads);
    tf.dispose(grads.map((g) => g.tensor));
  }
  const state = await opt.getWeights();
  const out = [a, b, ...state.map((s) => s.tensor)].map((t) => Float32Array.from(t.dataSync()));
  tf.dispose([a, b]);
  opt.dispose();
  return out;
}

describe('fused Adam on the native backend', () => {
  beforeAll(async () => {
    if (NATIVE_AVAILABLE) await setupNative();
  });
  beforeEach(requireNativeAddon);

  it('is bit-identical to the stock optimizer on cpu: weights, moments and iterations', async () => {
    const stock = await applyRandomGradients('cpu', () => tf.train.adam(0.01), 6, 0.003);
    const before = addonCalls.adam ?? 0;
    const fused = await applyRandomGradients('native', () => new FusedAdamOptimizer(0.01, 0.9, 0.999), 6, 0.003);
    expect(addonCalls.adam! - before).toBe(12);
    expect(fused.length).toBe(stock.length);
    fused.forEach((values, i) => expect(Buffer.from(values.buffer).equals(Buffer.from(stock[i]!.buffer))).toBe(true));
  });

  it('changes nothing on other backends', async () => {
    const stock = await applyRandomGradients('cpu', () => tf.train.adam(0.01), 3);
    const before = addonCalls.adam ?? 0;
    const other = await applyRandomGradients('cpu', () => new FusedAdamOptimizer(0.01, 0.9, 0.999), 3);
    expect(addonCalls.adam ?? 0).toBe(before);
    other.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(stock[i]!)));
  });
});
