import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { loadAddon, type NativeAddon } from './addon.js';
import { POOLED_MIN, takeF32 } from './buffer-pool.js';

/** Arguments a kernel function receives from the engine. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: MathBackendCPU;
  attrs?: NamedAttrMap;
}

/** A kernel implementation with typed arguments. */
export type NativeKernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** The loaded addon (the backend is only registered once it loaded). */
export function addon(): NativeAddon {
  return (current ??= loadAddon());
}
let current: NativeAddon | undefined;

/** The values of a float32 tensor, as the backend stores them (no copy). */
export function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : new Float32Array(v as ArrayLike<number>);
}

/** The values of a float32 or int32 tensor (4-byte elements), or undefined for other storage. */
export function values4(backend: MathBackendCPU, t: TensorInfo): Float32Array | Int32Array | undefined {
  const v = backend.data.get(t.dataId).values;
  if (t.dtype === 'float32' && v instanceof Float32Array) return v;
  if (t.dtype === 'int32' && v instanceof Int32Array) return v;
  return undefined;
}

/**
 * A float32 array whose contents are garbage, for outputs a kernel writes in full: it skips the
 * zero fill of `new Float32Array`, which costs as much as a cheap kernel itself on large tensors,
 * and reuses a disposed output's array when one of this length is free (./buffer-pool.ts).
 * Small ones (a zeroed array costs no more) are plain `new Float32Array(n)`.
 */
export function uninitializedF32(n: number): Float32Array {
  return n < POOLED_MIN ? new Float32Array(n) : takeF32(n);
}

/** Wraps a new float32 array as an output tensor of the backend. */
export function output(backend: MathBackendCPU, shape: number[], values: Float32Array | Int32Array,
  dtype: 'float32' | 'int32' = 'float32'): TensorInfo {
  return backend.makeTensorInfo(shape, dtype, values);
}

/** The product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** True when every listed input exists and is float32. */
export function allFloat32(...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t !== undefined && t.dtype === 'float32');
}

/** Runs the stock cpu kernel `name` on the native backend (which is a cpu backend too). */
export function cpuFallback(name: string, args: KernelArgs): TensorInfo | TensorInfo[] {
  const cfg = tf.getKernel(name, 'cpu');
  if (!cfg) throw new Error(`no cpu kernel ${name} to fall back to`);
  return (cfg.kernelFunc as unknown as NativeKernel)(args);
}

/** A kernel config for backend `native`. */
export function nativeKernel(kernelName: string, fn: NativeKernel): KernelConfig {
  return { kernelName, backendName: 'native', kernelFunc: fn as unknown as KernelFunc };
}
