/**
 * Reuse of the float32 arrays of disposed native-kernel outputs for new outputs of the same length.
 *
 * Every output array was a fresh `Buffer.allocUnsafeSlow`: V8 counts such memory as external, and a
 * bert training step allocating a few hundred MB of them ran a scavenge every ~5 ms and a
 * mark-compact every ~30 ms ("external memory pressure"), ~40 ms of GC per ~150 ms step. A disposed
 * output's array goes back to a free list instead, and the next output of its length takes it.
 *
 * An array is reused only when nothing else can still see it: it was registered with the backend
 * exactly once (`write`/`move`, as the output it was made for; the cpu kernels' contiguous Slice
 * returns a subarray of its input, and a second registration or a view poisons the buffer for
 * good), and its values were never handed out (`read`/`readSync`, whose caller may keep them past
 * the tensor's disposal).
 */

/** Outputs below this many elements are not pooled (a zeroed array costs no more). */
export const POOLED_MIN = 4096;
/** At most this many bytes wait in the free lists; beyond, disposed arrays go to the GC. */
const MAX_FREE_BYTES = 256 * 1024 * 1024;

interface PoolState {
  /** The one full-buffer view handed out (registration of another view of the buffer poisons it). */
  array: Float32Array;
  /** How many times it has been registered with the backend since handed out. */
  registrations: number;
}

const states = new WeakMap<ArrayBufferLike, PoolState>();
const freeLists = new Map<number, Float32Array[]>();
let freeBytes = 0;

/** An uninitialized float32 array of `n` (>= {@link POOLED_MIN}) elements: a reused one when one of that length is free. */
export function takeF32(n: number): Float32Array {
  const list = freeLists.get(n);
  for (let reused = list?.pop(); reused; reused = list!.pop()) {
    freeBytes -= reused.byteLength;
    const state = states.get(reused.buffer);
    if (!state) continue; // poisoned while free: someone else holds it
    state.registrations = 0;
    return reused;
  }
  const bytes = Buffer.allocUnsafeSlow(n * 4);
  const array = new Float32Array(bytes.buffer, bytes.byteOffset, n);
  // allocUnsafeSlow's buffers are the array's alone (offset 0); anything else is never pooled
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === n * 4) states.set(bytes.buffer, { array, registrations: 0 });
  return array;
}

function isView(values: unknown): values is ArrayBufferView {
  return ArrayBuffer.isView(values);
}

/** Records that the backend stores `values` for a tensor (a second registration, or a view, poisons its buffer). */
export function noteRegistered(values: unknown): void {
  if (!isView(values)) return;
  const state = states.get(values.buffer);
  if (!state) return;
  // < 0: registered while free, which only another holder of the array can do
  if (state.array !== values || state.registrations < 0 || ++state.registrations > 1) states.delete(values.buffer);
}

/** Records that `values` left the backend (read by a caller that may keep it): never reused. */
export function noteExposed(values: unknown): void {
  if (isView(values)) states.delete(values.buffer);
}

/** Returns the values of a tensor the backend just deleted to the free lists, when nothing else can see them. */
export function release(values: unknown): void {
  if (!isView(values)) return;
  const state = states.get(values.buffer);
  if (!state || state.array !== values || state.registrations !== 1) return;
  if (freeBytes + values.byteLength > MAX_FREE_BYTES) {
    states.delete(values.buffer);
    return;
  }
  state.registrations = -1; // free: a registration before takeF32 hands it out again poisons it
  const list = freeLists.get(state.array.length) ?? [];
  list.push(state.array);
  freeLists.set(state.array.length, list);
  freeBytes += values.byteLength;
}
