import { describe, expect, it } from 'vitest';
import { Prng } from '../util/prng.js';
import { JitteredSplit, imageShapeOf, shiftImages } from './augment.js';
import type { Split } from './types.js';

/** `count` 9×7 single-channel images, each with one bright pixel at (row, col) = (4, 3) and a dim one on its left edge. */
function dots(count: number): Split {
  const x = new Float32Array(count * 63);
  for (let n = 0; n < count; n++) {
    x[n * 63 + 4 * 7 + 3] = 1;
    x[n * 63 + 2 * 7] = 0.5;
  }
  return { x, y: Int32Array.from({ length: count }, (_, i) => i % 3), count };
}

/** Where the bright pixel of image `n` went, as (dy, dx) from its origin. */
function offsetOf(x: ArrayLike<number>, n: number): [number, number] {
  for (let p = 0; p < 63; p++) if (x[n * 63 + p] === 1) return [Math.floor(p / 7) - 4, (p % 7) - 3];
  throw new Error(`image ${n} lost its pixel`);
}

describe('augment: random shifts', () => {
  it('moves each image by integer offsets within ±shift, every offset drawn, with zero fill', () => {
    const source = dots(400);
    const out = new Float32Array(source.x.length);
    shiftImages(source, out, [9, 7, 1], 2, new Prng(5));
    const seen = new Set<string>();
    for (let n = 0; n < source.count; n++) {
      const [dy, dx] = offsetOf(out, n);
      expect(Math.abs(dy)).toBeLessThanOrEqual(2);
      expect(Math.abs(dx)).toBeLessThanOrEqual(2);
      seen.add(`${dy},${dx}`);
      const image = Array.from(out.subarray(n * 63, (n + 1) * 63));
      // Nothing but the two pixels (the dim one gone when moved left, off the image), rest zero.
      expect(image.filter((v) => v !== 0).sort()).toEqual(dx < 0 ? [1] : [0.5, 1]);
    }
    expect(seen.size).toBe(25);
  });

  it('moves the channels of a pixel together, and shift 0 copies', () => {
    const source: Split = { x: Float32Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => i + 1), y: Int32Array.from([0, 1]), count: 2 };
    const out = new Float32Array(source.x.length);
    shiftImages(source, out, [4, 4, 3], 0, new Prng(1));
    expect(out).toEqual(source.x);
    shiftImages(source, out, [4, 4, 3], 1, new Prng(1));
    for (let p = 0; p < out.length; p += 3) {
      if (out[p] === 0) expect([out[p + 1], out[p + 2]]).toEqual([0, 0]);
      else expect([out[p + 1]! - out[p]!, out[p + 2]! - out[p]!]).toEqual([1, 2]);
    }
  });

  it('keeps uint8 storage and its scale, labels and the source untouched', () => {
    const source: Split = { x: Uint8Array.from({ length: 3 * 25 }, (_, i) => i % 251), scale: 1 / 255, y: Int32Array.from([2, 0, 1]), count: 3 };
    const before = Uint8Array.from(source.x);
    const jitter = new JitteredSplit(source, [5, 5, 1], { shift: 1 }, 9);
    jitter.prepare(1);
    expect(jitter.split.x).toBeInstanceOf(Uint8Array);
    expect(jitter.split.scale).toBe(1 / 255);
    expect(jitter.split.y).toBe(source.y);
    expect(Array.from(source.y)).toEqual([2, 0, 1]);
    expect(source.x).toEqual(before);
  });

  it('is determined by the seed and the epoch alone: a later epoch prepared first gives the same images', () => {
    const source = dots(50);
    const run = (seed: number, epochs: number[]) => {
      const jitter = new JitteredSplit(source, [9, 7, 1], { shift: 2 }, seed);
      return epochs.map((e) => { jitter.prepare(e); return Float32Array.from(jitter.split.x); });
    };
    const [one, two, three] = run(11, [1, 2, 3]);
    // A run resumed at epoch 3 never prepared epochs 1 and 2.
    expect(run(11, [3])[0]).toEqual(three);
    expect(run(11, [1, 2])).toEqual([one, two]);
    expect(two).not.toEqual(one);
    expect(run(12, [1])[0]).not.toEqual(one);
  });

  it('knows images by their declared shape or a [h, w, c] input shape', () => {
    expect(imageShapeOf({ inputShape: [784], imageShape: [28, 28, 1] })).toEqual([28, 28, 1]);
    expect(imageShapeOf({ inputShape: [32, 32, 3] })).toEqual([32, 32, 3]);
    expect(imageShapeOf({ inputShape: [128] })).toBeUndefined();
  });
});
