import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { addon, allFloat32, f32, nativeKernel, output, sizeOf, uninitializedF32, type KernelArgs } from './util.js';

/**
 * Kernel names of the native masking gradients (inputs `dy`, `x`), which src/backend/gradients.ts
 * runs on the native backend instead of TF.js's compositions: the Relu gradient
 * `mul(dy, cast(step(x)))` is three kernels, ClipByValue's `where(logicalAnd(greaterEqual,
 * lessEqual), dy, zerosLike(dy))` five, Square's `mul(dy, mul(x, 2))` (not a mask, but the same
 * shape of kernel; tf.moments squares every batch normalization's input) two; each of these is
 * one, bit-identical to them.
 */
export const MASK_GRAD_KERNELS = { relu: 'CondenseReluGrad', clipByValue: 'CondenseClipByValueGrad', square: 'CondenseSquareGrad' } as const;

const OPS = [MASK_GRAD_KERNELS.relu, MASK_GRAD_KERNELS.clipByValue, MASK_GRAD_KERNELS.square] as const;

function maskGrad(op: 0 | 1 | 2, args: KernelArgs): TensorInfo {
  const { dy, x } = args.inputs;
  if (!dy || !x || !allFloat32(dy, x) || sizeOf(dy.shape) !== sizeOf(x.shape)) {
    throw new Error(`${OPS[op]}: needs float32 dy and x of one size`);
  }
  const attrs = args.attrs ?? {};
  const out = uninitializedF32(sizeOf(x.shape));
  addon().maskGrad(op, f32(args.backend, dy), f32(args.backend, x), out, Number(attrs.clipValueMin ?? 0), Number(attrs.clipValueMax ?? 0));
  return output(args.backend, x.shape.slice(), out);
}

/** Kernel configs of the masking gradients (registered for the native backend only). */
export function maskGradKernels(): KernelConfig[] {
  return OPS.map((name, op) => nativeKernel(name, (a) => maskGrad(op as 0 | 1 | 2, a)));
}
