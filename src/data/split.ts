import { Prng, deriveSeed, shuffledIndices } from '../util/prng.js';
import type { Examples, Split } from './types.js';

/** Copies the rows at `indices` into a new split. */
export function takeRows(source: Examples | Split, featureSize: number, indices: ArrayLike<number>): Split {
  const count = indices.length;
  const x = new Float32Array(count * featureSize);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const row = indices[i]!;
    x.set(source.x.subarray(row * featureSize, (row + 1) * featureSize), i * featureSize);
    y[i] = source.y[row]!;
  }
  return { x, y, count };
}

/**
 * Shuffles the examples with the seed, keeps the first `limit` (all when absent), and holds out
 * `testFraction` of them (at least one example each side).
 */
export function seededSplit(
  examples: Examples,
  options: { seed: number; testFraction: number; limit?: number },
): { train: Split; test: Split } {
  const order = shuffledIndices(examples.count, new Prng(deriveSeed(options.seed, 'split')));
  const used = order.subarray(0, Math.min(examples.count, options.limit ?? examples.count));
  const testCount = Math.min(used.length - 1, Math.max(1, Math.round(used.length * options.testFraction)));
  return {
    test: takeRows(examples, examples.featureSize, used.subarray(0, testCount)),
    train: takeRows(examples, examples.featureSize, used.subarray(testCount)),
  };
}
