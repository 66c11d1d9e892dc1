import type { AxisCut } from './types.js';

/** Keeps `kept` indices along `axis` of a row-major array of `shape`. */
export function takeAlong(values: Float32Array, shape: number[], { axis, kept }: AxisCut): { values: Float32Array; shape: number[] } {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const size = shape[axis]!;
  const out = new Float32Array(outer * kept.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const k of kept) {
      const from = (a * size + k) * inner;
      out.set(values.subarray(from, from + inner), o);
      o += inner;
    }
  }
  const newShape = [...shape];
  newShape[axis] = kept.length;
  return { values: out, shape: newShape };
}

/** Applies cuts one after another (each along the shape the previous left). */
export function applyCuts(values: Float32Array, shape: number[], cuts: AxisCut[]): { values: Float32Array; shape: number[] } {
  let current = { values, shape };
  for (const c of cuts) current = takeAlong(current.values, current.shape, c);
  return current;
}
