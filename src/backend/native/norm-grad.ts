import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { BINARY_OPS } from './elementwise.js';
import { addon, allFloat32, f32, nativeKernel, output, sizeOf, uninitializedF32, type KernelArgs } from './util.js';

/**
 * Kernel names of the native gradients behind batch normalization in training, which
 * src/backend/norm-gradients.ts runs on the native backend instead of tfjs-core's compositions,
 * bit-identical to them:
 * - `batchNorm` (inputs `dy`, `x`, `mean`, `variance`, optional `scale`; attr `varianceEpsilon`;
 *   outputs dx, dmean, dvariance, dscale, doffset): FusedBatchNorm's gradient, ~15 full passes
 *   over the activation composed, one or two here.
 * - `mean` (input `dy`; attrs `shape`, the input's shape, and `axes`): Mean's gradient,
 *   `div(mul(reshape(dy), ones(shape)), n)`, in one broadcasting pass instead of three.
 */
export const NORM_GRAD_KERNELS = { batchNorm: 'CondenseFusedBatchNormGrad', mean: 'CondenseMeanGrad' } as const;

/** The most dims the addon's broadcasting ops take. */
const MAX_RANK = 8;

/** True when FusedBatchNorm's native gradient applies: float32 x whose last dim C every per-channel input has. */
export function batchNormGradFits(dy: TensorInfo, x: TensorInfo, mean: TensorInfo, variance: TensorInfo, scale?: TensorInfo): boolean {
  const c = x.shape[x.shape.length - 1];
  const perChannel = (t: TensorInfo) => t.shape.length === 1 && t.shape[0] === c;
  return c !== undefined && c > 0 && allFloat32(dy, x, mean, variance) && sizeOf(dy.shape) === sizeOf(x.shape) &&
    perChannel(mean) && perChannel(variance) && (scale === undefined || (scale.dtype === 'float32' && perChannel(scale)));
}

function batchNormGrad(args: KernelArgs): TensorInfo[] {
  const { dy, x, mean, variance, scale } = args.inputs;
  if (!dy || !x || !mean || !variance || !batchNormGradFits(dy, x, mean, variance, scale)) {
    throw new Error(`${NORM_GRAD_KERNELS.batchNorm}: needs float32 dy and x of one size and per-channel parameters`);
  }
  const b = args.backend;
  const c = mean.shape[0]!;
  const dx = uninitializedF32(sizeOf(x.shape));
  const sums = [0, 1, 2, 3].map(() => new Float32Array(c));
  const epsilon = args.attrs?.varianceEpsilon == null ? 0.001 : Number(args.attrs.varianceEpsilon);
  addon().batchNormGrad(f32(b, dy), f32(b, x), f32(b, mean), f32(b, variance), scale ? f32(b, scale) : null, epsilon,
    dx, sums[0]!, sums[1]!, sums[2]!, sums[3]!);
  return [output(b, x.shape.slice(), dx), ...sums.map((s) => output(b, [c], s))];
}

/** The shape of Mean's input with its reduced `axes` set to 1 (dy's values in that shape). */
function keptShape(shape: number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** True when Mean's native gradient applies to float32 `dy` for an input of `shape` reduced over `axes`. */
export function meanGradFits(dy: TensorInfo, shape: number[], axes: number[]): boolean {
  return dy.dtype === 'float32' && shape.length <= MAX_RANK && sizeOf(shape) > 0 &&
    axes.every((a) => Number.isInteger(a) && a >= 0 && a < shape.length) && sizeOf(dy.shape) === sizeOf(keptShape(shape, axes));
}

function meanGrad(args: KernelArgs): TensorInfo {
  const { dy } = args.inputs;
  const shape = (args.attrs?.shape ?? []) as number[];
  const axes = (args.attrs?.axes ?? []) as number[];
  if (!dy || !meanGradFits(dy, shape, axes)) throw new Error(`${NORM_GRAD_KERNELS.mean}: needs float32 dy and a non-empty shape of rank <= ${MAX_RANK}`);
  // tfjs-core's reduceSize: the product of the reduced dims, as a float32 divisor
  const divisor = Float32Array.of(axes.reduce((n, a) => n * shape[a]!, 1));
  const out = uninitializedF32(sizeOf(shape));
  addon().binary(BINARY_OPS.RealDiv, f32(args.backend, dy), keptShape(shape, axes), divisor, shape.map(() => 1), out, shape);
  return output(args.backend, shape.slice(), out);
}

/** Kernel configs of the normalization gradients (registered for the native backend only). */
export function normGradKernels(): KernelConfig[] {
  return [nativeKernel(NORM_GRAD_KERNELS.batchNorm, batchNormGrad), nativeKernel(NORM_GRAD_KERNELS.mean, meanGrad)];
}
