import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { addon, allFloat32, f32, nativeKernel, output, sizeOf, uninitializedF32, type KernelArgs } from './util.js';

/**
 * Kernel names of the native masking gradients (inputs `dy`, `x`), which src/backend/gradients.ts
 * runs on the native backend instead of TF.js's compositions: the Relu gradient
 * `mul(dy, cast(step(x)))` is three kernels, ClipByValue's `where(logicalAnd(greaterEqual,
 * lessEqual), dy, zerosLike(dy))` five; each of these is one, bit-identical to them.
 */
export const MASK_GRAD_KERNELS = { relu: 'CondenseReluGrad', clipByValue: 'CondenseClipByValueGrad' } as const;

function maskGrad(op: 0 | 1, args: KernelArgs): TensorInfo {
  const { dy, x } = args.inputs;
  if (!dy || !x || !allFloat32(dy, x) || sizeOf(dy.shape) !== sizeOf(x.shape)) {
    throw new Error(`${op ? MASK_GRAD_KERNELS.clipByValue : MASK_GRAD_KERNELS.relu}: needs float32 dy and x of one size`);
  }
  const attrs = args.attrs ?? {};
  const out = uninitializedF32(sizeOf(x.shape));
  addon().maskGrad(op, f32(args.backend, dy), f32(args.backend, x), out, Number(attrs.clipValueMin ?? 0), Number(attrs.clipValueMax ?? 0));
  return output(args.backend, x.shape.slice(), out);
}

/** Kernel configs of the masking gradients (registered for the native backend only). */
export function maskGradKernels(): KernelConfig[] {
  return [nativeKernel(MASK_GRAD_KERNELS.relu, (a) => maskGrad(0, a)), nativeKernel(MASK_GRAD_KERNELS.clipByValue, (a) => maskGrad(1, a))];
}
