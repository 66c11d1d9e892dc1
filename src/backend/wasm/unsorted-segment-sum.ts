/**
 * UnsortedSegmentSum for the wasm backend (the gradient of tf.gather, hence of
 * tf.layers.embedding). A single pass over the wasm heap: out[segmentIds[r], :] += x[r, :],
 * O(rows * inner), where the cpu backend's kernel is O(numSegments * size).
 */
import * as tf from '@tensorflow/tfjs';
import type { WasmKernelArgs } from './tensor-util.js';

/**
 * Kernel function: inputs {x, segmentIds}; attrs {numSegments}. segmentIds' shape is a prefix of
 * x's; ids outside [0, numSegments) are dropped, as in TensorFlow.
 */
export function unsortedSegmentSum(args: WasmKernelArgs): tf.TensorInfo {
  const { backend } = args;
  const x = args.inputs.x as tf.TensorInfo;
  const segmentIds = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = (args.attrs as unknown as tf.UnsortedSegmentSumAttrs).numSegments;
  const idRank = segmentIds.shape.length;
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const inner = tf.util.sizeFromShape(x.shape.slice(idRank));
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  const dtype = x.dtype === 'int32' ? 'int32' : 'float32';
  const out = backend.makeOutput(outShape, dtype);
  const outVals = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  outVals.fill(0);
  if (rows === 0 || inner === 0) return out;
  const xVals = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const rawIds = backend.typedArrayFromHeap(segmentIds);
  for (let r = 0; r < rows; r++) {
    const id = rawIds[r] as number;
    if (!(id >= 0 && id < numSegments)) continue;
    const src = r * inner;
    const dst = id * inner;
    for (let k = 0; k < inner; k++) outVals[dst + k] += xVals[src + k] as number;
  }
  return out;
}

/** Registration record for {@link unsortedSegmentSum}. */
export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
};
