/**
 * Reuse of the native kernels' large float32 outputs once their tensors are disposed.
 *
 * Every kernel output used to be a fresh ArrayBuffer: V8 counts those as external memory and
 * runs a scavenge or a full mark-compact every few megabytes of them (~4 collections, ~10 ms of
 * CPU time per MobileNet-style training step on batch 128, bench/profile-step.mjs), and fresh
 * memory costs page faults and cache misses when the kernel first writes it. A disposed output
 * goes back to a free list by length (most recently freed first, warm in cache) and the next
 * output of that length takes it.
 *
 * Only arrays this pool handed out are reused, and only while nothing but the backend can hold
 * them: {@link exposeValues} drops an array for good when it leaves the backend (readSync, which
 * dataSync, data, arraySync and moving a tensor to another backend go through) or is the input
 * of a kernel that is not native (a cpu kernel may return a view of its input's values).
 */

/** By default at most this many bytes wait in the free lists; past it a disposed array is left to the GC. */
const DEFAULT_MAX_BYTES = 256 * 2 ** 20;
let maxBytes = DEFAULT_MAX_BYTES;

/** Arrays handed out by {@link takeF32} and not exposed since: the only ones {@link releaseValues} keeps. */
let owned = new WeakSet<Float32Array>();
/** Free arrays by length, the most recently freed last. */
const free = new Map<number, Float32Array[]>();
let freeBytes = 0;

/** Counters for tests and benchmarks. */
export const poolStats = { reused: 0, released: 0 };

/**
 * A float32 array of length `n` with garbage contents, for an output the kernel writes in full:
 * a freed one when there is one, else `allocate(n)`.
 */
export function takeF32(n: number, allocate: (n: number) => Float32Array): Float32Array {
  const list = free.get(n);
  const reused = list?.pop();
  let out: Float32Array;
  if (reused) {
    freeBytes -= reused.byteLength;
    poolStats.reused++;
    out = reused;
  } else {
    out = allocate(n);
  }
  owned.add(out);
  return out;
}

/** Called when the backend deletes the data holding `values`: keeps them for reuse when they are the pool's. */
export function releaseValues(values: unknown): void {
  if (!(values instanceof Float32Array) || !owned.has(values)) return;
  owned.delete(values);
  if (freeBytes + values.byteLength > maxBytes) return;
  let list = free.get(values.length);
  if (!list) free.set(values.length, (list = []));
  list.push(values);
  freeBytes += values.byteLength;
  poolStats.released++;
}

/** `values` may be held outside the backend from now on: never reuse them. */
export function exposeValues(values: unknown): void {
  if (values instanceof Float32Array) owned.delete(values);
}

/**
 * Empties the free lists, forgets every array handed out, and sets the bytes the free lists may
 * hold (0: no reuse; default 256 MiB). For tests and benchmarks.
 */
export function resetPool(limitBytes = DEFAULT_MAX_BYTES): void {
  free.clear();
  freeBytes = 0;
  owned = new WeakSet();
  maxBytes = limitBytes;
}
