import { Prng, deriveSeed } from '../util/prng.js';
import type { Dataset, FeatureArray, Split } from './types.js';

/** A stage's `augment` field: how training examples are changed each epoch. */
export interface AugmentSpec {
  /** Largest translation in pixels, along each axis (0: none). */
  shift: number;
}

/** The [height, width, channels] of the dataset's examples as images, or undefined when they are not images. */
export function imageShapeOf(data: Pick<Dataset, 'imageShape' | 'inputShape'>): [number, number, number] | undefined {
  if (data.imageShape) return data.imageShape;
  const s = data.inputShape;
  return s.length === 3 ? [s[0]!, s[1]!, s[2]!] : undefined;
}

/**
 * Writes every example of `source` into `out` moved by a random integer offset (dx, dy), each
 * uniform in [−shift, shift], drawn from `prng` in row order; pixels moved in from outside the
 * image are zero. `out` has the layout and storage type of `source.x`.
 */
export function shiftImages(source: Split, out: FeatureArray, image: [number, number, number], shift: number, prng: Prng): void {
  const [height, width, channels] = image;
  const size = height * width * channels;
  const rowStride = width * channels;
  out.fill(0);
  for (let n = 0; n < source.count; n++) {
    const dx = prng.int(2 * shift + 1) - shift;
    const dy = prng.int(2 * shift + 1) - shift;
    const base = n * size;
    const x0 = Math.max(0, dx);
    const x1 = Math.min(width, width + dx);
    if (x1 <= x0) continue;
    for (let y = Math.max(0, dy); y < Math.min(height, height + dy); y++) {
      const from = base + (y - dy) * rowStride + (x0 - dx) * channels;
      out.set(source.x.subarray(from, from + (x1 - x0) * channels), base + y * rowStride + x0 * channels);
    }
  }
}

/**
 * A training split that {@link JitteredSplit.prepare} refills for each epoch with the original
 * examples shifted at random; labels (and the test split) are the original's. The draws of epoch
 * e come from a PRNG seeded by (seed, purpose, e) alone, so a run resumed at any epoch sees the
 * same images an uninterrupted run saw, and no PRNG state needs checkpointing.
 */
export class JitteredSplit {
  readonly split: Split;
  private prepared = 0;

  constructor(private readonly source: Split, private readonly image: [number, number, number], private readonly spec: AugmentSpec, private readonly seed: number) {
    const Storage = source.x.constructor as new (n: number) => FeatureArray;
    this.split = { ...source, x: new Storage(source.x.length) };
  }

  /** Fills the split with epoch `epoch`'s shifted examples (a no-op when it already holds them). */
  prepare(epoch: number): void {
    if (epoch === this.prepared) return;
    shiftImages(this.source, this.split.x, this.image, this.spec.shift, new Prng(deriveSeed(this.seed, `augment:${epoch}`)));
    this.prepared = epoch;
  }
}
