import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { makeBatch, widenedOnce } from './batches.js';

const pixels = Uint8Array.from({ length: 6 * 4 }, (_, i) => (i * 37) % 256);
const split = { x: pixels, scale: 1 / 255, y: Int32Array.from([0, 1, 2, 0, 1, 2]), count: 6 };

describe('batches of uint8 features', () => {
  it('a shuffled batch reads the widened copy and gets exactly the per-pixel conversion', () => {
    const order = Int32Array.from([5, 2, 0, 3, 1, 4]);
    const shuffled = makeBatch(split, [4], 3, order, 1, 4);
    const expected = Float32Array.from([2, 0, 3].flatMap((row) => [...pixels.subarray(row * 4, row * 4 + 4)].map((p) => p * (1 / 255))));
    expect(shuffled.xs.dataSync()).toEqual(expected);
    // The same rows in order, converted per batch as evaluation does, match bit for bit.
    const inOrder = makeBatch(split, [4], 3, null, 0, 6).xs.dataSync();
    expect(shuffled.xs.dataSync()).toEqual(Float32Array.from([2, 0, 3].flatMap((row) => [...inOrder.subarray(row * 4, row * 4 + 4)])));
    expect([...shuffled.labels]).toEqual([2, 0, 0]);
    tf.dispose([shuffled.xs, shuffled.ys]);
  });

  it('widens each feature array once, and a new array (augmented pixels) again', () => {
    const first = widenedOnce(split);
    expect(first.x).toBeInstanceOf(Float32Array);
    expect(widenedOnce(split).x).toBe(first.x);
    const moved = { ...split, x: Uint8Array.from(pixels, (p) => 255 - p) };
    expect(widenedOnce(moved).x).not.toBe(first.x);
    expect(widenedOnce(moved).x[0]).toBe(Math.fround(255 / 255));
    const floats = { x: new Float32Array(4), y: new Int32Array(1), count: 1 };
    expect(widenedOnce(floats)).toBe(floats);
  });
});
