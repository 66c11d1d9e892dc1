// Helpers for the native backend's tests and benchmarks (no test-framework imports).
import * as tf from '@tensorflow/tfjs';
import { nativeBackendStatus, registerNativeBackend, loadAddon, type NativeAddon } from './index.js';

/** True when the addon is built here; native tests are skipped otherwise. */
export const NATIVE_AVAILABLE = nativeBackendStatus().available;

/** Calls per addon function since {@link setupNative}. */
export const addonCalls: Record<string, number> = {};

/** Registers the backend and wraps the addon's functions to count calls (once). */
export async function setupNative(): Promise<void> {
  tf.env().set('PROD', true);
  await registerNativeBackend();
  const addon = loadAddon() as unknown as Record<string, (...a: unknown[]) => unknown>;
  if (addon.__counted) return;
  for (const name of Object.keys(addon)) {
    const fn = addon[name]!;
    addon[name] = (...a: unknown[]) => {
      addonCalls[name] = (addonCalls[name] ?? 0) + 1;
      return fn(...a);
    };
  }
  addon.__counted = () => true;
}

/** Deterministic PRNG (mulberry32) for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` uniform floats in [lo, hi). */
export function randArray(rand: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

type Result = tf.Tensor | tf.Tensor[];

async function runOn(backend: string, fn: () => Result): Promise<{ shapes: number[][]; data: Float32Array[] }> {
  await tf.setBackend(backend);
  const outs = tf.tidy(fn);
  const list = Array.isArray(outs) ? outs : [outs];
  const data = list.map((t) => Float32Array.from(t.dataSync()));
  const shapes = list.map((t) => t.shape);
  tf.dispose(list);
  return { shapes, data };
}

/**
 * Runs `fn` on cpu and on native and expects equal shapes and values within
 * `atol + rtol * |cpu|`; when `addonFn` is given, also expects the native run to have called it.
 */
export async function expectSameAsCpu(fn: () => Result, opts: { addonFn?: keyof NativeAddon; atol?: number; rtol?: number } = {}): Promise<void> {
  const { atol = 1e-5, rtol = 1e-4 } = opts;
  const ref = await runOn('cpu', fn);
  const before = opts.addonFn ? addonCalls[opts.addonFn] ?? 0 : 0;
  const got = await runOn('native', fn);
  if (opts.addonFn && (addonCalls[opts.addonFn] ?? 0) <= before) {
    throw new Error(`native ${opts.addonFn} was not called`);
  }
  if (JSON.stringify(got.shapes) !== JSON.stringify(ref.shapes)) {
    throw new Error(`shapes differ: cpu ${JSON.stringify(ref.shapes)} native ${JSON.stringify(got.shapes)}`);
  }
  for (let k = 0; k < ref.data.length; k++) {
    const r = ref.data[k]!;
    const g = got.data[k]!;
    let worst = 0;
    let at = -1;
    for (let i = 0; i < r.length; i++) {
      const ri = r[i]!;
      const gi = g[i]!;
      if (Number.isNaN(ri) || Number.isNaN(gi)) {
        if (Number.isNaN(ri) !== Number.isNaN(gi)) { worst = Infinity; at = i; break; }
        continue;
      }
      if (ri === gi) continue;
      const excess = Math.abs(ri - gi) - (atol + rtol * Math.abs(ri));
      if (excess > worst) { worst = excess; at = i; }
    }
    if (worst > 0) throw new Error(`output ${k} differs at ${at}: cpu ${r[at]} native ${g[at]}`);
  }
}
