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

/** Kernel configs of GatherV2 (batchDims 0), Transpose, Tile and UnsortedSegmentSum for float32/int32 tensors. */
export function shapeKernels(): KernelConfig[] {
  return [nativeKernel('GatherV2', gatherV2), nativeKernel('Transpose', transpose), nativeKernel('Tile', tile),
    nativeKernel('UnsortedSegmentSum', unsortedSegmentSum)];
}
