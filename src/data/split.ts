import { Prng, deriveSeed, shuffledIndices } from '../util/prng.js';
import type { Examples, FeatureArray, Split, Targets } from './types.js';

/** Which source rows go to each side of a split, in split order. */
export interface SplitRows {
  train: Int32Array;
  test: Int32Array;
}

/** Options of a seeded split: the seed, the held-out fraction and an optional cap on examples. */
export interface SplitOptions {
  seed: number;
  testFraction: number;
  limit?: number;
}

/** Copies the rows at `indices` into a new split (same storage type and scale as the source). */
export function takeRows(source: Examples | Split, featureSize: number, indices: ArrayLike<number>): Split {
  const count = indices.length;
  const x: FeatureArray = source.x instanceof Uint8Array ? new Uint8Array(count * featureSize) : new Float32Array(count * featureSize);
  for (let i = 0; i < count; i++) {
    const row = indices[i]!;
    x.set(source.x.subarray(row * featureSize, (row + 1) * featureSize), i * featureSize);
  }
  return { x, y: takeTargets(source.y, indices), count, ...(source.scale !== undefined && source.scale !== 1 ? { scale: source.scale } : {}) };
}

/** The labels at `indices`, in the same array type (class indices stay Int32Array, targets Float32Array). */
export function takeTargets(y: Targets, indices: ArrayLike<number>): Targets {
  const out = y instanceof Float32Array ? new Float32Array(indices.length) : new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = y[indices[i]!]!;
  return out;
}

/**
 * The rows of a seeded split of `count` examples: shuffled with the seed, the first `limit` kept
 * (all when absent), `testFraction` of them held out (at least one example each side). Loaders
 * that decode straight into their split (images) use it to skip the copy.
 */
export function splitRows(count: number, options: SplitOptions): SplitRows {
  const order = shuffledIndices(count, new Prng(deriveSeed(options.seed, 'split')));
  const used = order.subarray(0, Math.min(count, options.limit ?? count));
  const testCount = Math.min(used.length - 1, Math.max(1, Math.round(used.length * options.testFraction)));
  return { test: used.subarray(0, testCount), train: used.subarray(testCount) };
}

/** Shuffles the examples with the seed and holds out a part: see {@link splitRows}. */
export function seededSplit(examples: Examples, options: SplitOptions): { train: Split; test: Split } {
  const rows = splitRows(examples.count, options);
  return {
    test: takeRows(examples, examples.featureSize, rows.test),
    train: takeRows(examples, examples.featureSize, rows.train),
  };
}

/**
 * The rows used of a given training and a given test set (`testPath`, `testX`, ...): each shuffled
 * with the seed; `limit` caps them, `testFraction` of it for the test set.
 */
export function fileSplitRows(trainCount: number, testCount: number, options: SplitOptions): SplitRows {
  const pick = (count: number, purpose: string, cap: number | undefined) =>
    shuffledIndices(count, new Prng(deriveSeed(options.seed, purpose))).subarray(0, Math.min(count, cap ?? count));
  const { limit, testFraction } = options;
  return {
    train: pick(trainCount, 'split', limit === undefined ? undefined : Math.round(limit * (1 - testFraction))),
    test: pick(testCount, 'split:test', limit === undefined ? undefined : Math.max(1, Math.round(limit * testFraction))),
  };
}

/** Splits examples into train and test: the given test set when there is one, else a seeded split. */
export function splitExamples(train: Examples, test: Examples | undefined, options: SplitOptions): { train: Split; test: Split } {
  if (!test) return seededSplit(train, options);
  const rows = fileSplitRows(train.count, test.count, options);
  return { train: takeRows(train, train.featureSize, rows.train), test: takeRows(test, test.featureSize, rows.test) };
}
