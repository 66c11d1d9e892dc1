/**
 * Gradients for FusedBatchNorm and Mean that run one native kernel on the native backend (see
 * src/backend/native/norm-grad.ts), with the same bits as tfjs-core's compositions; on every
 * other backend, or for inputs the kernels do not take, they are tfjs-core's own gradients.
 *
 * tf.layers' batchNormalization in training is tf.moments (Mean, Sub, Square, Mean) then
 * FusedBatchNorm; tfjs-core's gradients of those make ~25 full passes over each activation,
 * most of a MobileNet-style training step (bench/profile-step.mjs --model mobilenet). On native
 * the layer now runs fused kernels instead (./native/bn-layer.ts); these gradients serve direct
 * tf.moments / tf.batchNorm users and the layer's paths that are not fused.
 */
import * as tf from '@tensorflow/tfjs';
import { NORM_GRAD_KERNELS, batchNormGradFits, meanGradFits } from './native/norm-grad.js';

/** A gradient config that stands in for `replaces` (tfjs-core's, when that is not one of ours). */
export interface ReplacementGradConfig extends tf.GradConfig {
  replaces: tf.GradConfig;
}

/** The gradient tfjs-core registered for `kernelName`, beneath any of ours (a test run may load this module twice). */
function stockGradient(kernelName: string): tf.GradConfig {
  let config = tf.getGradient(kernelName) as ReplacementGradConfig | undefined;
  while (config?.replaces) config = config.replaces as ReplacementGradConfig;
  if (!config) throw new Error(`internal error: tfjs-core registers no gradient for ${kernelName}`);
  return config;
}

/** True on the native backend when it has kernel `name`. */
function onNative(name: string): boolean {
  return tf.getBackend() === 'native' && tf.getKernel(name, 'native') !== undefined;
}

const stockBatchNorm = stockGradient(tf.FusedBatchNorm);
const stockMean = stockGradient(tf.Mean);

const batchNormGradConfig: ReplacementGradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  replaces: stockBatchNorm,
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const grad = dy as tf.Tensor;
    const [x, mean, variance, scale] = saved;
    if (!x || !mean || !variance || !onNative(NORM_GRAD_KERNELS.batchNorm) || !batchNormGradFits(grad, x, mean, variance, scale ?? undefined)) {
      return stockBatchNorm.gradFunc(dy, saved, attrs);
    }
    const inputs: tf.NamedTensorMap = { dy: grad, x, mean, variance };
    if (scale) inputs.scale = scale;
    const [dx, dmean, dvariance, dscale, doffset] = tf.engine().runKernel(NORM_GRAD_KERNELS.batchNorm, inputs, attrs) as tf.Tensor[];
    return { x: () => dx!, mean: () => dmean!, variance: () => dvariance!, scale: () => dscale!, offset: () => doffset! };
  },
};

const meanGradConfig: ReplacementGradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  replaces: stockMean,
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const grad = dy as tf.Tensor;
    const x = saved[0]!;
    const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape);
    if (!onNative(NORM_GRAD_KERNELS.mean) || !meanGradFits(grad, x.shape, axes)) return stockMean.gradFunc(dy, saved, attrs);
    return { x: () => tf.engine().runKernel(NORM_GRAD_KERNELS.mean, { dy: grad }, { shape: x.shape, axes }) as tf.Tensor };
  },
};

/** The gradient configs of this module, for {@link registerFastGradients}. */
export const NORM_GRAD_CONFIGS: readonly tf.GradConfig[] = [batchNormGradConfig, meanGradConfig];
