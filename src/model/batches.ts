import * as tf from '@tensorflow/tfjs';
import { uninitializedF32 } from '../backend/native/util.js';
import type { Split } from '../data/types.js';

/** A batch of examples as tensors: inputs shaped for the model, one-hot labels. */
export interface Batch {
  xs: tf.Tensor;
  /** One-hot class rows; all zeros for regression (numeric targets are no class). */
  ys: tf.Tensor2D;
  /** Class index of each example; zeros for regression. */
  labels: Int32Array;
  /** Each example's `y` as a float: 0/1 for binary models, the value for regression. */
  targets: Float32Array;
}

/**
 * Builds the batch of rows `order[start, end)` by copying rows in JS (a memcpy each), which is
 * cheaper here than a GatherV2 over the whole split on the cpu or wasm backends. Shuffled batches
 * (`order` given: a training loop's) of uint8 features read a float32 copy made once per feature
 * array ({@link widenedOnce}).
 */
export function makeBatch(split: Split, inputShape: number[], numClasses: number, order: ArrayLike<number> | null, start: number, end: number): Batch {
  const featureSize = inputShape.reduce((a, b) => a * b, 1);
  const size = end - start;
  // Every element is written below; from the native backend's pool, last batch's array comes back warm
  const x = uninitializedF32(size * featureSize);
  const labels = new Int32Array(size);
  const oneHot = new Float32Array(size * numClasses);
  const targets = new Float32Array(size);
  const classes = split.y instanceof Int32Array;
  const features = order ? widenedOnce(split) : split;
  for (let i = 0; i < size; i++) {
    const row = order ? order[start + i]! : start + i;
    copyRow(features, row, featureSize, x, i * featureSize);
    const label = split.y[row]!;
    targets[i] = label;
    if (!classes) continue;
    labels[i] = label;
    if (label >= 0 && label < numClasses) oneHot[i * numClasses + label] = 1;
  }
  return {
    xs: tf.tensor(x, [size, ...inputShape]),
    ys: tf.tensor2d(oneHot, [size, numClasses]),
    labels,
    targets,
  };
}

/** Float32 copies of uint8 feature arrays, by array: one whose pixels change (augmentation) is another array. */
const widened = new WeakMap<Uint8Array, Float32Array>();

/** Uint8 features up to this many float32 bytes (256 MiB) are widened once instead of per batch. */
const WIDEN_MAX_BYTES = 256 * 2 ** 20;

/**
 * The split with float32 features: uint8 ones (images) scaled once and kept while the array
 * lives. An epoch of batches converts every pixel anyway, so a training loop of E epochs converts
 * each once instead of E times: 0.14 ms of each quickstart step.
 */
export function widenedOnce(split: Pick<Split, 'x' | 'scale'>): Pick<Split, 'x' | 'scale'> {
  const x = split.x;
  if (!(x instanceof Uint8Array) || x.length * 4 > WIDEN_MAX_BYTES) return split;
  let wide = widened.get(x);
  if (!wide) {
    const scale = split.scale ?? 1;
    wide = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) wide[i] = x[i]! * scale;
    widened.set(x, wide);
  }
  return { x: wide };
}

/**
 * Copies one example's features into `out` at `at` as float32: a memcpy for float32 storage,
 * a scaled conversion for uint8 storage (images stay one byte per pixel until batched).
 */
function copyRow(split: Pick<Split, 'x' | 'scale'>, row: number, featureSize: number, out: Float32Array, at: number): void {
  const source = split.x.subarray(row * featureSize, (row + 1) * featureSize);
  const scale = split.scale ?? 1;
  if (source instanceof Float32Array && scale === 1) {
    out.set(source, at);
    return;
  }
  for (let j = 0; j < featureSize; j++) out[at + j] = source[j]! * scale;
}

/** Number of correct argmax predictions in a batch of probabilities. */
export function countCorrect(probs: tf.Tensor, labels: Int32Array): number {
  const predicted = tf.tidy(() => tf.argMax(probs, -1)).dataSync();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct;
}
