import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { nativeTranspose } from './reduce.js';
import { addon, cpuFallback, nativeKernel, output, sizeOf, uninitializedF32, values4, type KernelArgs } from './util.js';

function gatherV2(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x, indices } = args.inputs;
  const attrs = args.attrs ?? {};
  const batchDims = Number(attrs.batchDims ?? 0);
  if (!x || !indices || batchDims !== 0) return cpuFallback('GatherV2', args);
  const xVals = values4(args.backend, x);
  const idx = args.backend.data.get(indices.dataId).values;
  if (!xVals || !(idx instanceof Int32Array) || indices.dtype !== 'int32') {
    return cpuFallback('GatherV2', args);
  }
  const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0]!;
  const axisDim = x.shape[axis]!;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const out = xVals instanceof Float32Array ? new Float32Array(sizeOf(outShape)) : new Int32Array(sizeOf(outShape));
  const bad = addon().gather(xVals, idx, out, outer, axisDim, inner);
  if (bad > 0) {
    throw new Error(`GatherV2: the index value ${idx[bad - 1]} is not in [0, ${axisDim - 1}]`);
  }
  return output(args.backend, outShape, out, x.dtype as 'float32' | 'int32');
}

function transpose(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x } = args.inputs;
  const perm = (args.attrs?.perm ?? []) as number[];
  return (x && nativeTranspose(args, x, perm)) || cpuFallback('Transpose', args);
}

/**
 * UnsortedSegmentSum (the gradient of gather, hence of embeddings) in one pass:
 * out[ids[r], :] += x[r, :]. The cpu kernel this replaces is O(numSegments × size) in time and
 * memory, which stalls embedding training with a real vocabulary.
 */
function unsortedSegmentSum(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x, segmentIds } = args.inputs;
  if (!x || !segmentIds) return cpuFallback('UnsortedSegmentSum', args);
  const xVals = values4(args.backend, x);
  const ids = args.backend.data.get(segmentIds.dataId).values as ArrayLike<number>;
  if (!xVals) return cpuFallback('UnsortedSegmentSum', args);
  const numSegments = Number(args.attrs?.numSegments);
  const rows = sizeOf(segmentIds.shape);
  const inner = sizeOf(x.shape.slice(segmentIds.shape.length));
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  if (xVals instanceof Float32Array && ids instanceof Int32Array && ids.length === rows) {
    const out = uninitializedF32(sizeOf(outShape)); // zeroed by the kernel
    addon().segmentSum(xVals, ids, inner, numSegments, out);
    return output(args.backend, outShape, out);
  }
  const out = xVals instanceof Float32Array ? new Float32Array(sizeOf(outShape)) : new Int32Array(sizeOf(outShape));
  for (let r = 0; r < rows; r++) {
    const id = ids[r]!;
    // Ids outside [0, numSegments) are dropped, as TensorFlow does.
    if (!(id >= 0 && id < numSegments)) continue;
    const src = r * inner;
    const dst = id * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += xVals[src + k]!;
  }
  return output(args.backend, outShape, out, x.dtype as 'float32' | 'int32');
}

/** Tile of a float32 or int32 tensor: the cpu kernel computes every output index in JS. */
function tile(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x } = args.inputs;
  const reps = (args.attrs?.reps ?? []) as number[];
  const vals = x ? values4(args.backend, x) : undefined;
  if (!x || !vals || reps.length !== x.shape.length || x.shape.length > 8 || reps.some((r) => !(r >= 0))) {
    return cpuFallback('Tile', args);
  }
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const size = sizeOf(outShape);
  const out = vals instanceof Float32Array ? uninitializedF32(size) : new Int32Array(size);
  if (size > 0) addon().tile(vals, out, x.shape, reps);
  return output(args.backend, outShape, out, x.dtype as 'float32' | 'int32');
}

/**
 * A strided slice of a float32/int32 tensor in C. Contiguous slices (and other dtypes) go to the
 * cpu kernel, which returns a view without copying; its strided path runs per element in JS.
 */
function nativeSlice(args: KernelArgs, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  const vals = values4(args.backend, x);
  if (!vals || x.shape.length > 8 || tf.slice_util.isSliceContinous(x.shape, b, s)) {
    return cpuFallback('Slice', { ...args, inputs: { x }, attrs: { begin, size } }) as TensorInfo;
  }
  tf.slice_util.assertParamsValid(x as tf.Tensor, b, s);
  const n = sizeOf(s);
  const out = vals instanceof Float32Array ? uninitializedF32(n) : new Int32Array(n);
  if (n > 0) addon().slice(vals, out, x.shape, b, s);
  return output(args.backend, s, out, x.dtype as 'float32' | 'int32');
}

function slice(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x } = args.inputs;
  if (!x) return cpuFallback('Slice', args);
  const { begin, size } = args.attrs as unknown as { begin: number[]; size: number[] };
  return nativeSlice(args, x, begin, size);
}

/** SplitV (the gradient of concatenate) as native slices; the cpu kernel slices in JS per element. */
function splitV(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x } = args.inputs;
  if (!x) return cpuFallback('SplitV', args);
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[ax] = s;
    const part = nativeSlice(args, x, begin.slice(), size);
    begin[ax] += s;
    return part;
  });
}

/**
 * Concat of float32/int32 tensors as one native row copy per input and outer index (the cpu
 * kernel copies element by element; a JS loop of subarray copies cost ~1 ms for two [32, 128, 32]). Other dtypes, and inputs that disagree, go to the cpu kernel.
 */
function concat(args: KernelArgs): TensorInfo | TensorInfo[] {
  const inputs = Object.values(args.inputs).filter((t): t is TensorInfo => t !== undefined);
  const first = inputs[0];
  if (!first || (first.dtype !== 'float32' && first.dtype !== 'int32') || inputs.some((t) => t.dtype !== first.dtype)) {
    return cpuFallback('Concat', args);
  }
  const axis = tf.util.parseAxisParam(args.attrs?.axis as number, first.shape)[0]!;
  tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
  const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
  const total = sizeOf(outShape);
  const out = first.dtype === 'float32' ? (total > 0 ? uninitializedF32(total) : new Float32Array(0)) : new Int32Array(total);
  const outer = sizeOf(outShape.slice(0, axis));
  const rowOut = sizeOf(outShape.slice(axis));
  let at = 0;
  for (const t of inputs) {
    const vals = values4(args.backend, t);
    if (!vals) return cpuFallback('Concat', args);
    const row = sizeOf(t.shape.slice(axis));
    if (row > 0 && outer > 0) addon().copyRows(vals, outer, row, out, at, rowOut);
    at += row;
  }
  return output(args.backend, outShape, out, first.dtype);
}

/** Kernel configs of GatherV2 (batchDims 0), Transpose, Tile, Slice, SplitV, Concat and UnsortedSegmentSum for float32/int32 tensors. */
export function shapeKernels(): KernelConfig[] {
  return [nativeKernel('GatherV2', gatherV2), nativeKernel('Transpose', transpose), nativeKernel('Tile', tile),
    nativeKernel('Slice', slice), nativeKernel('SplitV', splitV), nativeKernel('Concat', concat),
    nativeKernel('UnsortedSegmentSum', unsortedSegmentSum)];
}
