import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  addon, allFloat32, cpuFallback, f32, nativeKernel, output, sizeOf, type KernelArgs, uninitializedF32,
} from './util.js';

/** Binary op codes of the addon (enum order in native/kernels.h). */
export const BINARY_OPS = {
  Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6,
} as const;

/** Unary op codes of the addon (enum order in native/kernels.h). */
export const UNARY_OPS = {
  Relu: 0, Relu6: 1, Step: 2, Exp: 3, Log: 4, Sqrt: 5, Rsqrt: 6, Sigmoid: 7, Tanh: 8, Square: 9,
  Neg: 10, Abs: 11, Reciprocal: 12, Softplus: 13, Elu: 14, LeakyRelu: 15, ClipByValue: 16,
  Log1p: 17, Expm1: 18, Linear: 19,
} as const;

const MAX_RANK = 8;

/** Broadcasting float32 binary op `op` on two tensors; undefined when it is not supported natively. */
export function nativeBinary(backend: MathBackendCPU, op: number, a: TensorInfo,
  b: TensorInfo): TensorInfo | undefined {
  if (!allFloat32(a, b)) return undefined;
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const rank = outShape.length;
  if (rank > MAX_RANK) return undefined;
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const out = uninitializedF32(sizeOf(outShape));
  addon().binary(op, f32(backend, a), pad(a.shape), f32(backend, b), pad(b.shape), out, outShape);
  return output(backend, outShape, out);
}

function binaryKernel(name: keyof typeof BINARY_OPS): KernelConfig {
  const op = BINARY_OPS[name];
  return nativeKernel(name, (args: KernelArgs) => {
    const { a, b } = args.inputs;
    return (a && b && nativeBinary(args.backend, op, a, b)) || cpuFallback(name, args);
  });
}

/** Float32 unary op on a tensor, or undefined when not float32. */
export function nativeUnary(backend: MathBackendCPU, op: number, x: TensorInfo, p0 = 0,
  p1 = 0): TensorInfo | undefined {
  if (x.dtype !== 'float32') return undefined;
  const out = uninitializedF32(sizeOf(x.shape));
  addon().unary(op, f32(backend, x), out, p0, p1);
  return output(backend, x.shape.slice(), out);
}

type UnaryName = Exclude<keyof typeof UNARY_OPS, 'Linear'>;

function unaryKernel(name: UnaryName): KernelConfig {
  const op = UNARY_OPS[name];
  return nativeKernel(name, (args: KernelArgs) => {
    const { x } = args.inputs;
    const attrs = args.attrs ?? {};
    let p0 = 0;
    let p1 = 0;
    if (name === 'Step') p0 = Number(attrs.alpha ?? 0);
    if (name === 'LeakyRelu') p0 = Number(attrs.alpha ?? 0.2);
    if (name === 'ClipByValue') {
      p0 = Number(attrs.clipValueMin);
      p1 = Number(attrs.clipValueMax);
    }
    return (x && nativeUnary(args.backend, op, x, p0, p1)) || cpuFallback(name, args);
  });
}

/** FusedBatchNorm (also behind tf.layers.layerNormalization): the cpu kernel is a JS loop. */
function batchNorm(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x, mean, variance, offset, scale } = args.inputs;
  const rank = mean?.shape.length;
  // Anything unusual goes to the cpu kernel, which raises TF.js's own errors.
  if (!x || !mean || !variance || !allFloat32(x, mean, variance) || variance.shape.length !== rank
    || (offset && (offset.dtype !== 'float32' || offset.shape.length !== rank))
    || (scale && (scale.dtype !== 'float32' || scale.shape.length !== rank))
    || sizeOf(mean.shape) === 0 || sizeOf(variance.shape) === 0
    || (offset && sizeOf(offset.shape) === 0) || (scale && sizeOf(scale.shape) === 0)) {
    return cpuFallback('FusedBatchNorm', args);
  }
  const epsilon = args.attrs?.varianceEpsilon == null ? 0.001 : Number(args.attrs.varianceEpsilon);
  const b = args.backend;
  const out = uninitializedF32(sizeOf(x.shape));
  addon().batchNorm(f32(b, x), f32(b, mean), f32(b, variance), offset ? f32(b, offset) : null,
    scale ? f32(b, scale) : null, epsilon, out);
  return output(b, x.shape.slice(), out);
}

/** Kernel configs of the native elementwise ops (binary with broadcasting, unary, batch norm). */
export function elementwiseKernels(): KernelConfig[] {
  const binaries = (Object.keys(BINARY_OPS) as (keyof typeof BINARY_OPS)[]).map(binaryKernel);
  const unaries = (Object.keys(UNARY_OPS) as (keyof typeof UNARY_OPS)[])
    .filter((n): n is UnaryName => n !== 'Linear')
    .map(unaryKernel);
  return [...binaries, ...unaries, nativeKernel('FusedBatchNorm', batchNorm)];
}
