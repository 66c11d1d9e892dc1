import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import {
  addon, allFloat32, cpuFallback, f32, nativeKernel, output, sizeOf, uninitializedF32, values4, type KernelArgs,
} from './util.js';

/** Reduction op codes of the addon. */
const REDUCE_OPS = { Sum: 0, Max: 1, Min: 2, Mean: 3 } as const;
type ReduceName = keyof typeof REDUCE_OPS;

/** Permutes a 4-byte tensor natively; undefined for other dtypes or ranks above 8. */
export function nativeTranspose(args: KernelArgs, x: TensorInfo, perm: number[]): TensorInfo | undefined {
  const vals = values4(args.backend, x);
  if (!vals || x.shape.length > 8 || perm.length !== x.shape.length) return undefined;
  const out = vals instanceof Float32Array ? new Float32Array(vals.length) : new Int32Array(vals.length);
  if (out.length > 0) addon().transpose(vals, out, x.shape, perm);
  return output(args.backend, perm.map((p) => x.shape[p]!), out, x.dtype as 'float32' | 'int32');
}

function reduceKernel(name: ReduceName): KernelConfig {
  const op = REDUCE_OPS[name];
  return nativeKernel(name, (args: KernelArgs) => {
    const { x } = args.inputs;
    const attrs = args.attrs ?? {};
    const axis = (name === 'Max' ? attrs.reductionIndices : attrs.axis) as number | number[] | undefined;
    if (!x || x.dtype !== 'float32' || sizeOf(x.shape) === 0 || x.shape.length > 8) {
      return cpuFallback(name, args);
    }
    const shape = x.shape;
    const axes = [...new Set(tf.util.parseAxisParam((axis ?? null) as number[], shape))].sort((p, q) => p - q);
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(shape, axes);
    const finalShape = attrs.keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    const out = new Float32Array(sizeOf(outShape));
    // Size-1 dims change neither the layout nor the result: without them, axes that only look
    // apart (e.g. [0, 2] of [128, 1, 128, 1, 128], from the Tile gradient) reduce in one pass.
    const kept = shape.flatMap((d, i) => (d === 1 ? [] : [i]));
    const dims = kept.map((i) => shape[i]!);
    const reduced = kept.flatMap((i, j) => (axes.includes(i) ? [j] : []));
    const contiguous = reduced.every((ax, i) => i === 0 || ax === reduced[i - 1]! + 1);
    if (reduced.length === 0) {
      out.set(f32(args.backend, x));
    } else if (contiguous) {
      const lo = reduced[0]!;
      const hi = reduced[reduced.length - 1]!;
      addon().reduce(op, f32(args.backend, x), out, sizeOf(dims.slice(0, lo)),
        sizeOf(dims.slice(lo, hi + 1)), sizeOf(dims.slice(hi + 1)));
    } else {
      const perm = tf.backend_util.getAxesPermutation(reduced, dims.length)!;
      const t = nativeTranspose(args, { ...x, shape: dims }, perm);
      if (!t) return cpuFallback(name, args);
      const red = sizeOf(reduced.map((a) => dims[a]!));
      addon().reduce(op, f32(args.backend, t), out, out.length, red, 1);
      args.backend.disposeIntermediateTensorInfo(t);
    }
    return output(args.backend, finalShape, out);
  });
}

function softmax(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { logits } = args.inputs;
  const dim = Number(args.attrs?.dim ?? -1);
  if (!logits || logits.dtype !== 'float32' || logits.shape.length === 0 ||
    (dim !== -1 && dim !== logits.shape.length - 1) || sizeOf(logits.shape) === 0) {
    return cpuFallback('Softmax', args);
  }
  const cols = logits.shape[logits.shape.length - 1]!;
  const out = uninitializedF32(sizeOf(logits.shape));
  addon().softmax(f32(args.backend, logits), out, out.length / cols, cols);
  return output(args.backend, logits.shape.slice(), out);
}

/**
 * Name of the native kernel of Softmax's gradient over the last axis (inputs `dy` and `x`, the
 * softmax's output), one kernel for tfjs-core's four (Multiply, Sum, Multiply, Sub).
 */
export const SOFTMAX_GRAD_KERNEL = 'CondenseSoftmaxGrad';

function softmaxGrad(args: KernelArgs): TensorInfo {
  const { dy, x: y } = args.inputs;
  if (!dy || !y || !allFloat32(dy, y) || sizeOf(dy.shape) !== sizeOf(y.shape) || y.shape.length === 0) {
    throw new Error(`${SOFTMAX_GRAD_KERNEL}: needs float32 dy and y of one size`);
  }
  const cols = y.shape[y.shape.length - 1]!;
  const out = uninitializedF32(sizeOf(y.shape));
  if (out.length > 0) addon().softmaxGrad(f32(args.backend, y), f32(args.backend, dy), out, out.length / cols, cols);
  return output(args.backend, y.shape.slice(), out);
}

/** Kernel configs of Sum/Max/Min/Mean (any axes; non-contiguous ones are transposed first), Softmax and its gradient. */
export function reduceKernels(): KernelConfig[] {
  return [
    ...(Object.keys(REDUCE_OPS) as ReduceName[]).map(reduceKernel),
    nativeKernel('Softmax', softmax),
    nativeKernel(SOFTMAX_GRAD_KERNEL, softmaxGrad),
  ];
}
