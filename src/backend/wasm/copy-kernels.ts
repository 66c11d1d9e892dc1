/**
 * Tile, GatherV2 and Slice for the wasm backend as block copies on the wasm heap (TypedArray set,
 * fill, copyWithin). The stock wasm kernels compute every output element's source index one
 * element at a time: tf.layers.layerNormalization's two Tiles of a [128, 128, 128] activation took
 * ~440 ms and an embedding lookup of 16,384 tokens ~115 ms, per training step; slicing one
 * [128, 128] entry off a [32, 128, 128] batch ~1.1 ms.
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmKernelArgs } from './tensor-util.js';

type Values = Float32Array | Int32Array;

/** Writes `x` (shape `shape`) repeated `reps[k]` times along each dim k into `out`. */
function tileInto(x: Values, out: Values, shape: readonly number[], reps: readonly number[]): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const inInner: number[] = new Array<number>(rank);
  const outInner: number[] = new Array<number>(rank);
  let inSize = 1;
  let outSize = 1;
  for (let k = rank - 1; k >= 0; k--) {
    inInner[k] = inSize;
    outInner[k] = outSize;
    inSize *= shape[k]!;
    outSize *= shape[k]! * reps[k]!;
  }
  if (outSize === 0) return;
  const build = (k: number, xOff: number, oOff: number): void => {
    const d = shape[k]!;
    const r = reps[k]!;
    if (k === rank - 1) {
      if (d === 1) out.fill(x[xOff]!, oOff, oOff + r);
      else for (let j = 0; j < r; j++) out.set(x.subarray(xOff, xOff + d), oOff + j * d);
      return;
    }
    for (let i = 0; i < d; i++) build(k + 1, xOff + i * inInner[k]!, oOff + i * outInner[k]!);
    const block = d * outInner[k]!;
    for (let j = 1; j < r; j++) out.copyWithin(oOff + j * block, oOff, oOff + block);
  };
  build(0, 0, 0);
}

function isCopyable(dtype: tf.DataType): dtype is 'float32' | 'int32' {
  return dtype === 'float32' || dtype === 'int32';
}

/** Tile of a float32/int32 tensor; `stock` (the wasm backend's own kernel) handles other dtypes. */
export function makeTile(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { backend } = args as unknown as WasmKernelArgs;
    const x = args.inputs.x as tf.TensorInfo;
    const reps = (args.attrs as unknown as tf.TileAttrs).reps;
    if (!isCopyable(x.dtype) || reps.length !== x.shape.length) return stock(args);
    const out = backend.makeOutput(x.shape.map((d, i) => d * reps[i]!), x.dtype);
    // views after makeOutput: allocating may grow (and so detach) the wasm memory
    tileInto(backend.typedArrayFromHeap(x) as Values, backend.typedArrayFromHeap(out) as Values, x.shape, reps);
    return out;
  };
}

/** GatherV2 with batchDims 0 of a float32/int32 tensor by int32 indices; `stock` handles the rest. */
export function makeGatherV2(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { backend } = args as unknown as WasmKernelArgs;
    const x = args.inputs.x as tf.TensorInfo;
    const indices = args.inputs.indices as tf.TensorInfo;
    const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
    if (!isCopyable(x.dtype) || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0) return stock(args);
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const axisDim = x.shape[ax]!;
    const outer = tf.util.sizeFromShape(x.shape.slice(0, ax));
    const inner = tf.util.sizeFromShape(x.shape.slice(ax + 1));
    const ids = backend.typedArrayFromHeap(indices) as Int32Array;
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i]! >= 0 && ids[i]! < axisDim)) {
        throw new Error(`GatherV2: the index value ${ids[i]} is not in [0, ${axisDim - 1}]`);
      }
    }
    const out = backend.makeOutput([...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)], x.dtype);
    const xVals = backend.typedArrayFromHeap(x) as Values;
    const outVals = backend.typedArrayFromHeap(out) as Values;
    const idx = backend.typedArrayFromHeap(indices) as Int32Array;
    const n = idx.length;
    for (let o = 0; o < outer; o++) {
      const src = o * axisDim * inner;
      const dst = o * n * inner;
      if (inner === 1) for (let i = 0; i < n; i++) outVals[dst + i] = xVals[src + idx[i]!]!;
      else for (let i = 0; i < n; i++) outVals.set(xVals.subarray(src + idx[i]! * inner, src + (idx[i]! + 1) * inner), dst + i * inner);
    }
    return out;
  };
}

/**
 * Copies the strided view of `x` (start `offset`; per output dim a size and an input stride) into
 * `out` in row-major order. Size-1 dims are dropped and dims that stay adjacent in `x` merged, so
 * the innermost run is as long as possible.
 */
function copyStrided(x: Values, out: Values, offset: number, sizes: readonly number[], strides: readonly number[]): void {
  const dims: number[] = [];
  const steps: number[] = [];
  let total = 1;
  sizes.forEach((n, k) => {
    const st = strides[k]!;
    total *= n;
    if (n === 1) return;
    const last = dims.length - 1;
    if (last >= 0 && steps[last] === st * n) {
      dims[last] = dims[last]! * n;
      steps[last] = st;
    } else {
      dims.push(n);
      steps.push(st);
    }
  });
  if (total === 0) return;
  if (dims.length === 0) {
    out[0] = x[offset]!;
    return;
  }
  const r = dims.length;
  const n = dims[r - 1]!;
  const st = steps[r - 1]!;
  const idx = new Array<number>(r).fill(0);
  let off = offset;
  for (let o = 0; o < total; o += n) {
    // set() costs a call per run: worth it only for long runs
    if (st === 1 && n >= 64) out.set(x.subarray(off, off + n), o);
    else for (let j = 0, s = off; j < n; j++, s += st) out[o + j] = x[s]!;
    for (let k = r - 2; k >= 0; k--) {
      idx[k]!++;
      off += steps[k]!;
      if (idx[k]! < dims[k]!) break;
      off -= steps[k]! * dims[k]!;
      idx[k] = 0;
    }
  }
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i]!;
  }
  return strides;
}

/** Writes x[begin : begin + size] (x of shape `shape`) into `out`. */
function sliceInto(x: Values, out: Values, shape: readonly number[], begin: readonly number[], size: readonly number[]): void {
  const strides = rowMajorStrides(shape);
  copyStrided(x, out, begin.reduce((o, b, i) => o + b * strides[i]!, 0), size, strides);
}

/** Slice of a float32/int32 tensor; `stock` handles other dtypes. */
export function makeSlice(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { backend } = args as unknown as WasmKernelArgs;
    const x = args.inputs.x as tf.TensorInfo;
    const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
    if (!isCopyable(x.dtype)) return stock(args);
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    tf.slice_util.assertParamsValid(x as tf.Tensor, b, s);
    const out = backend.makeOutput(s, x.dtype);
    sliceInto(backend.typedArrayFromHeap(x) as Values, backend.typedArrayFromHeap(out) as Values, x.shape, b, s);
    return out;
  };
}

/** Writes x (shape `shape`) permuted by `perm` into `out`. */
function transposeInto(x: Values, out: Values, shape: readonly number[], perm: readonly number[]): void {
  const strides = rowMajorStrides(shape);
  copyStrided(x, out, 0, perm.map((p) => shape[p]!), perm.map((p) => strides[p]!));
}

/** Transpose of a float32/int32 tensor; `stock` handles other dtypes. */
export function makeTranspose(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { backend } = args as unknown as WasmKernelArgs;
    const x = args.inputs.x as tf.TensorInfo;
    const { perm } = args.attrs as unknown as tf.TransposeAttrs;
    if (!isCopyable(x.dtype) || perm.length !== x.shape.length) return stock(args);
    const out = backend.makeOutput(perm.map((p) => x.shape[p]!), x.dtype);
    transposeInto(backend.typedArrayFromHeap(x) as Values, backend.typedArrayFromHeap(out) as Values, x.shape, perm);
    return out;
  };
}

/**
 * Sum over leading axes (after dropping size-1 dims) of a float32 tensor, e.g. a bias gradient
 * over [batch, units]: column sums in float64, one pass in memory order. The stock kernel
 * transposes such inputs first. Every other case goes to `stock`.
 */
export function makeSum(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { backend } = args as unknown as WasmKernelArgs;
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    if (x.dtype !== 'float32' || x.shape.length === 0) return stock(args);
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const kept = x.shape.flatMap((d, i) => (d === 1 ? [] : [i]));
    const reduced = kept.filter((i) => axes.includes(i));
    const lead = kept.findIndex((i) => !axes.includes(i));
    // reduced dims must be exactly the leading non-trivial dims, with at least one dim kept
    if (reduced.length === 0 || lead !== reduced.length) return stock(args);
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const finalShape = keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    const cols = tf.util.sizeFromShape(outShape);
    const rows = tf.util.sizeFromShape(x.shape) / cols;
    const out = backend.makeOutput(finalShape, 'float32');
    const vals = backend.typedArrayFromHeap(x) as Float32Array;
    const acc = new Float64Array(cols);
    for (let r = 0, o = 0; r < rows; r++, o += cols) for (let j = 0; j < cols; j++) acc[j]! += vals[o + j]!;
    (backend.typedArrayFromHeap(out) as Float32Array).set(acc);
    return out;
  };
}
