import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { addon, allFloat32, f32, nativeKernel, output, sizeOf, uninitializedF32, type KernelArgs } from './util.js';

/**
 * Kernel names of batch normalization in training on the native backend (./bn-layer.ts runs
 * them for tf.layers' batchNormalization), where tfjs-core composes tf.moments and
 * FusedBatchNorm and their gradients into ~25 passes over the activation:
 * - `forward` (inputs `x` [..., C], `scale`, `offset` [C]; attr `varianceEpsilon`, default
 *   0.001): outputs y (x's shape), the per-channel mean and the biased variance [C] over every
 *   other axis, y = (x - mean) * scale / sqrt(variance + varianceEpsilon) + offset. 2 passes.
 * - `grad` (inputs `dy`, `dmean`, `dvariance`, `x`, `scale`, `mean`, `variance`): the gradient
 *   through all three outputs, dx, dscale, doffset. 2 passes.
 * Per-channel sums run in double, in an order fixed by the shape; the values match the
 * composed ops within float32 rounding, not bit for bit.
 */
export const BN_TRAIN_KERNELS = { forward: 'CondenseBatchNormTraining', grad: 'CondenseBatchNormTrainingGrad' } as const;

/** TF.js's default variance epsilon (tf.batchNorm's and tf.layers.batchNormalization's). */
const DEFAULT_EPSILON = 0.001;

/** True when the training kernels take float32 `x` [..., C] (rank >= 2) with float32 `scale` and `offset` [C]. */
export function batchNormTrainFits(x: TensorInfo, scale: TensorInfo, offset: TensorInfo): boolean {
  const c = x.shape[x.shape.length - 1];
  const perChannel = (t: TensorInfo) => t.shape.length === 1 && t.shape[0] === c;
  return x.shape.length >= 2 && c !== undefined && c > 0 && sizeOf(x.shape) > 0 && allFloat32(x, scale, offset) &&
    perChannel(scale) && perChannel(offset);
}

function epsilonOf(args: KernelArgs): number {
  return args.attrs?.varianceEpsilon == null ? DEFAULT_EPSILON : Number(args.attrs.varianceEpsilon);
}

function forward(args: KernelArgs): TensorInfo[] {
  const { x, scale, offset } = args.inputs;
  if (!x || !scale || !offset || !batchNormTrainFits(x, scale, offset)) {
    throw new Error(`${BN_TRAIN_KERNELS.forward}: needs float32 x [..., C] and float32 scale and offset [C]`);
  }
  const b = args.backend;
  const c = scale.shape[0]!;
  const y = uninitializedF32(sizeOf(x.shape));
  const [mean, variance] = [new Float32Array(c), new Float32Array(c)];
  addon().batchNormTrain(f32(b, x), c, f32(b, scale), f32(b, offset), epsilonOf(args), y, mean, variance);
  return [output(b, x.shape.slice(), y), output(b, [c], mean), output(b, [c], variance)];
}

function grad(args: KernelArgs): TensorInfo[] {
  const { dy, dmean, dvariance, x, scale, mean, variance } = args.inputs;
  const perChannel = [scale, mean, variance, dmean, dvariance];
  const c = mean?.shape[0];
  if (!dy || !x || !allFloat32(dy, x, ...perChannel) || sizeOf(dy.shape) !== sizeOf(x.shape) ||
    !perChannel.every((t) => t!.shape.length === 1 && t!.shape[0] === c) || x.shape[x.shape.length - 1] !== c) {
    throw new Error(`${BN_TRAIN_KERNELS.grad}: needs float32 dy and x [..., C] of one size and float32 per-channel inputs [C]`);
  }
  const b = args.backend;
  const dx = uninitializedF32(sizeOf(x.shape));
  const [dscale, doffset] = [new Float32Array(c!), new Float32Array(c!)];
  addon().batchNormTrainGrad(f32(b, dy), f32(b, x), f32(b, scale!), f32(b, mean!), f32(b, variance!), f32(b, dmean!),
    f32(b, dvariance!), epsilonOf(args), dx, dscale, doffset);
  return [output(b, x.shape.slice(), dx), output(b, [c!], dscale), output(b, [c!], doffset)];
}

/** Kernel configs of batch normalization in training (registered for the native backend only). */
export function bnTrainKernels(): KernelConfig[] {
  return [nativeKernel(BN_TRAIN_KERNELS.forward, forward), nativeKernel(BN_TRAIN_KERNELS.grad, grad)];
}

/** The forward kernel's gradient: one `grad` kernel for x, scale and offset. */
export const bnTrainGradConfig: tf.GradConfig = {
  kernelName: BN_TRAIN_KERNELS.forward,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    // the engine passes zeros for outputs no gradient reached (mean and variance, in tf.layers)
    const [dy, dmean, dvariance] = dys as tf.Tensor[];
    const [x, scale, mean, variance] = saved;
    const inputs: tf.NamedTensorMap = { dy: dy!, dmean: dmean!, dvariance: dvariance!, x: x!, scale: scale!, mean: mean!, variance: variance! };
    const [dx, dscale, doffset] = tf.engine().runKernel(BN_TRAIN_KERNELS.grad, inputs, attrs) as tf.Tensor[];
    return { x: () => dx!, scale: () => dscale!, offset: () => doffset! };
  },
};

/**
 * Batch normalization in training of float32 `x` [..., C] over every axis but the last, on the
 * native backend (the caller checks {@link batchNormTrainFits} and the backend): [y, mean,
 * variance], differentiable through all three.
 */
export function batchNormTraining(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, varianceEpsilon = DEFAULT_EPSILON): tf.Tensor[] {
  return tf.engine().runKernel(BN_TRAIN_KERNELS.forward, { x, scale, offset }, { varianceEpsilon }) as tf.Tensor[];
}
