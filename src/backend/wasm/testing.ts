// Helpers for the wasm kernels' tests (no test-framework imports).
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

interface EmscriptenHeap {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

function wasmModule(): EmscriptenHeap {
  return (tf.backend() as BackendWasm).wasm as unknown as EmscriptenHeap;
}

/** Current size of the wasm backend's memory, in bytes. */
export function heapBytes(): number {
  return wasmModule().HEAPU8.buffer.byteLength;
}

/**
 * Fills the wasm heap so that the next allocation of more than `slackBytes` (default 8 KiB) has
 * to grow the memory, which detaches every typed-array view of it taken before. Returns a function
 * that frees the filler. Only the current backend, which must be 'wasm', is touched.
 *
 * How: take blocks of 1 MiB, then 64 KiB, then 4 KiB while the top of the heap (past the end of the
 * highest block taken) has room for one more: holes are used up first, and the heap itself is
 * not grown, so a test that fills it once per case does not multiply its size.
 */
export function fillWasmHeap(slackBytes = 8 << 10): () => void {
  const wasm = wasmModule();
  const held: number[] = [];
  let end = 0; // end of the highest block taken: where the unused top of the heap starts
  for (const chunk of [1 << 20, 64 << 10, 4 << 10]) {
    while (heapBytes() - end >= chunk + slackBytes) {
      const ptr = wasm._malloc(chunk);
      if (ptr === 0) throw new Error('fillWasmHeap: the wasm heap cannot grow any further');
      held.push(ptr);
      end = Math.max(end, ptr + chunk);
    }
  }
  return () => {
    for (const ptr of held) wasm._free(ptr);
  };
}

/**
 * Replaces the 'wasm' backend by a new instance with its own, fresh wasm memory (16 MiB, no
 * holes), so that {@link fillWasmHeap} fills it exactly and tests do not grow one heap case after
 * case. Tensors held on the old instance become unusable. Kernel registrations are kept.
 */
export async function freshWasmBackend(): Promise<void> {
  const factory = tf.findBackendFactory('wasm');
  if (factory == null) throw new Error('freshWasmBackend: no wasm backend registered');
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, 2);
  await tf.setBackend('wasm');
}
