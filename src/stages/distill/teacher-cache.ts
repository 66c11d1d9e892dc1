import * as tf from '@tensorflow/tfjs';
import { sha256 } from '../../util/hash.js';

/** Default cap on the cached teacher outputs: 1 GiB of float32. */
export const DEFAULT_CACHE_BYTES = 1 << 30;

/**
 * The teacher's outputs per training example, kept across epochs so that epochs after the first
 * read them instead of running the teacher: valid only for the teacher, data and taps its key
 * was made from (see {@link teacherCacheKey}). Rows are the example indices of the training split.
 */
export class TeacherOutputCache {
  private readonly values: Float32Array[] = [];
  private readonly shapes: number[][] = [];
  private readonly filled: Uint8Array;
  /** Teacher batches run (a cache hit runs none). */
  teacherCalls = 0;

  constructor(readonly key: string, readonly count: number, private readonly budgetBytes = DEFAULT_CACHE_BYTES) {
    this.filled = new Uint8Array(count);
  }

  /**
   * The teacher's outputs for the examples `rows`: from the cache when every row is in it, else
   * from `run` (whose tensors are then stored, when they fit the budget). The caller disposes the result.
   */
  outputs(rows: ArrayLike<number>, run: () => tf.Tensor[]): tf.Tensor[] {
    if (this.values.length > 0 && Array.from(rows).every((r) => this.filled[r] === 1)) return this.gather(rows);
    this.teacherCalls++;
    const out = run();
    this.store(rows, out);
    return out;
  }

  private gather(rows: ArrayLike<number>): tf.Tensor[] {
    return this.values.map((values, k) => {
      const shape = this.shapes[k]!;
      const size = shape.reduce((a, b) => a * b, 1);
      const batch = new Float32Array(rows.length * size);
      for (let i = 0; i < rows.length; i++) batch.set(values.subarray(rows[i]! * size, (rows[i]! + 1) * size), i * size);
      return tf.tensor(batch, [rows.length, ...shape]);
    });
  }

  private store(rows: ArrayLike<number>, out: tf.Tensor[]): void {
    if (this.values.length === 0) {
      const sizes = out.map((t) => t.shape.slice(1).reduce((a, b) => a * b, 1));
      if (sizes.reduce((a, b) => a + b, 0) * 4 * this.count > this.budgetBytes) return;
      out.forEach((t, k) => { this.shapes.push(t.shape.slice(1)); this.values.push(new Float32Array(this.count * sizes[k]!)); });
    }
    out.forEach((t, k) => {
      const data = t.dataSync() as Float32Array;
      const size = data.length / rows.length;
      for (let i = 0; i < rows.length; i++) this.values[k]!.set(data.subarray(i * size, (i + 1) * size), rows[i]! * size);
    });
    for (let i = 0; i < rows.length; i++) this.filled[rows[i]!] = 1;
  }
}

/** sha256 of a model's topology and weight values: what the teacher computes. */
export function modelFingerprint(topology: unknown, weights: Array<{ name: string; values: tf.Tensor }>): string {
  const parts = weights.map((w) => `${w.name}:${w.values.shape.join('x')}:${sha256(new Uint8Array((w.values.dataSync() as Float32Array).slice().buffer))}`);
  return sha256(JSON.stringify({ topology, weights: parts }));
}

/** The cache key: the teacher's fingerprint, the data's, and which outputs are cached. */
export function teacherCacheKey(teacherFingerprint: string, dataFingerprint: string, taps: string[]): string {
  return sha256(JSON.stringify({ teacherFingerprint, dataFingerprint, taps }));
}

// The cache of the last distillation, so that a later distill stage (or a rerun in this process)
// with the same teacher, data and taps reuses it; a different key replaces it.
let last: TeacherOutputCache | undefined;

/** The process's cache for `key`: the last one when its key matches, else a fresh one. */
export function teacherCacheFor(key: string, count: number, budgetBytes?: number): TeacherOutputCache {
  if (last?.key !== key || last.count !== count) last = new TeacherOutputCache(key, count, budgetBytes);
  return last;
}
