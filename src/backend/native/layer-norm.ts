/**
 * Layer normalization in two native kernels on the native backend.
 *
 * tfjs-layers' LayerNormalization composes moments, four Tiles and FusedBatchNorm, and its
 * gradient some twenty kernels more; with TF.js's per-kernel overhead that was a large part of a
 * small transformer's training step (five layer norms in the bench bert). On the native backend
 * {@link installFastLayerNorm} makes the layer run `CondenseLayerNorm` forward and
 * `CondenseLayerNormGrad` backward (a tf.customGrad op) when it normalizes the last axis with both
 * gamma and beta (the layer's defaults); anything else, and every other backend, keeps the
 * layer's own composition. Values agree with it to float32 rounding (sums in double).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { oneTensor, replaceLayerCall } from './layer-call.js';
import { addon, allFloat32, f32, nativeKernel, output, sizeOf, uninitializedF32, type KernelArgs } from './util.js';

/** Kernel names (native backend only). */
export const LAYER_NORM_KERNELS = { forward: 'CondenseLayerNorm', gradient: 'CondenseLayerNormGrad' } as const;

function forward(args: KernelArgs): TensorInfo[] {
  const { x, gamma, beta } = args.inputs;
  const C = x?.shape[x.shape.length - 1];
  if (!x || !gamma || !beta || !allFloat32(x, gamma, beta) || !C || sizeOf(gamma.shape) !== C || sizeOf(beta.shape) !== C) {
    throw new Error(`${LAYER_NORM_KERNELS.forward}: needs float32 x [..., C], gamma [C] and beta [C]`);
  }
  const rows = sizeOf(x.shape) / C;
  const b = args.backend;
  const [y, mean, rstd] = [uninitializedF32(rows * C), uninitializedF32(rows), uninitializedF32(rows)];
  addon().layerNorm(f32(b, x), f32(b, gamma), f32(b, beta), Number(args.attrs?.epsilon), y, mean, rstd);
  return [output(b, x.shape.slice(), y), output(b, [rows], mean), output(b, [rows], rstd)];
}

function gradient(args: KernelArgs): TensorInfo[] {
  const { dy, x, mean, rstd, gamma } = args.inputs;
  if (!dy || !x || !mean || !rstd || !gamma || !allFloat32(dy, x, mean, rstd, gamma)) {
    throw new Error(`${LAYER_NORM_KERNELS.gradient}: needs float32 dy, x, mean, rstd and gamma`);
  }
  const b = args.backend;
  const C = sizeOf(gamma.shape);
  const [dx, dgamma, dbeta] = [uninitializedF32(sizeOf(x.shape)), uninitializedF32(C), uninitializedF32(C)];
  addon().layerNormGrad(f32(b, dy), f32(b, x), f32(b, mean), f32(b, rstd), f32(b, gamma), dx, dgamma, dbeta);
  return [output(b, x.shape.slice(), dx), output(b, gamma.shape.slice(), dgamma), output(b, gamma.shape.slice(), dbeta)];
}

/** Kernel configs of the layer normalization kernels. */
export function layerNormKernels(): KernelConfig[] {
  return [nativeKernel(LAYER_NORM_KERNELS.forward, forward), nativeKernel(LAYER_NORM_KERNELS.gradient, gradient)];
}

/** Layer normalization of `x` over its last axis with gamma and beta [C], differentiable in all three (native backend only). */
export function nativeLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | ((saved: tf.Tensor[]) => void))[]) => {
    const [xs, g, bt] = args as tf.Tensor[];
    const save = args[3] as (saved: tf.Tensor[]) => void;
    const [y, mean, rstd] = tf.engine().runKernel(LAYER_NORM_KERNELS.forward, { x: xs!, gamma: g!, beta: bt! }, { epsilon }) as tf.Tensor[];
    save([xs!, mean!, rstd!, g!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sm, sr, sg] = saved;
        return tf.engine().runKernel(LAYER_NORM_KERNELS.gradient, { dy: dy as tf.Tensor, x: sx!, mean: sm!, rstd: sr!, gamma: sg! }) as tf.Tensor[];
      },
    };
  });
  return op(x, gamma, beta);
}

interface LayerNormFields {
  axis: number | number[];
  epsilon: number;
  scale: boolean;
  center: boolean;
  gamma: { read(): tf.Tensor } | null;
  beta: { read(): tf.Tensor } | null;
}

/** Routes tf.layers.layerNormalization through {@link nativeLayerNorm} where it applies (idempotent). */
export function installFastLayerNorm(): void {
  replaceLayerCall<LayerNormFields>('LayerNormalization', Symbol.for('condense.nativeLayerNorm'), (composed) => function (inputs, kwargs) {
    const input = oneTensor(inputs);
    const axes = Array.isArray(this.axis) ? this.axis : [this.axis];
    const rank = input?.rank ?? 0;
    const lastAxis = axes.length === 1 && (axes[0] === rank - 1 || axes[0] === -1);
    if (!input || rank < 1 || input.dtype !== 'float32' || !lastAxis || !this.scale || !this.center || !this.gamma || !this.beta
      || input.size === 0 || tf.getBackend() !== 'native' || tf.getKernel(LAYER_NORM_KERNELS.forward, 'native') === undefined) {
      return composed.call(this, inputs, kwargs);
    }
    return tf.tidy(() => nativeLayerNorm(input, this.gamma!.read(), this.beta!.read(), this.epsilon));
  });
}
