/**
 * Forward and backward passes of Conv2D and MaxPooling2D layers through the native kernels
 * TF.js's engine runs for them in training, with the engine's inputs and attributes:
 * - a relu conv is tfjs-core's unfused path under a gradient tape: Conv2D, Add (bias), Relu;
 *   backward the Relu gradient (CondenseReluGrad), Sum over rows and pixels (Add's bias gradient),
 *   Conv2DBackpropFilter and, unless it is the model's input, Conv2DBackpropInput;
 * - a linear conv stays fused: FusedConv2D (bias added in place); backward Sum, the two backprops;
 * - max pooling is MaxPool, backward MaxPoolGrad.
 */
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { ConvPlan, PoolPlan } from './conv-plan.js';
import type { Stage } from './stage.js';

/** The bias gradient sums rows, height and width ([0, 1, 2] of NHWC). */
const BIAS_AXES = [0, 1, 2];

/** The stage of one Conv2D layer. */
export function convStage(plan: ConvPlan): Stage {
  const geometry = { strides: plan.strides, pad: plan.pad, dataFormat: 'NHWC' as const, dimRoundingMode: undefined };
  const forwardAttrs = { ...geometry, dilations: plan.dilations } as unknown as NamedAttrMap;
  let saved: { x: TensorInfo; filter: TensorInfo; pre?: TensorInfo } | undefined;
  let grads: Float32Array[] = [];
  return {
    weights: plan.bias ? [plan.kernel, plan.bias] : [plan.kernel],
    forward(input, rows, scope, [kernel, bias]) {
      const x = scope.wrap(input, [rows, ...plan.inShape]);
      const filter = scope.wrap(kernel!, plan.filterShape);
      const b = bias ? scope.wrap(bias, [plan.filterShape[3]]) : undefined;
      if (plan.activation === 'linear') {
        saved = { x, filter };
        const fusedAttrs = { ...forwardAttrs, activation: 'linear', leakyreluAlpha: undefined } as unknown as NamedAttrMap;
        return scope.values(scope.run('FusedConv2D', { x, filter, bias: b, preluActivationWeights: undefined }, fusedAttrs));
      }
      const conv = scope.run('Conv2D', { x, filter }, forwardAttrs);
      const pre = b ? scope.run('Add', { a: conv, b }) : conv;
      saved = { x, filter, pre };
      return scope.values(scope.run('Relu', { x: pre }));
    },
    backward(outputGrad, rows, scope, needInputGrad) {
      const { x, filter, pre } = saved!;
      const dy = scope.wrap(outputGrad, [rows, ...plan.outShape]);
      const g = pre ? scope.run('CondenseReluGrad', { dy, x: pre }) : dy;
      const biasGrad = plan.bias ? scope.values(scope.run('Sum', { x: g }, { axis: BIAS_AXES, keepDims: false })) : undefined;
      const filterAttrs = { ...geometry, filterShape: plan.filterShape } as unknown as NamedAttrMap;
      const filterGrad = scope.values(scope.run('Conv2DBackpropFilter', { x, dy: g }, filterAttrs));
      grads = biasGrad ? [filterGrad, biasGrad] : [filterGrad];
      if (!needInputGrad) return undefined;
      const inputAttrs = { ...geometry, inputShape: x.shape } as unknown as NamedAttrMap;
      return scope.values(scope.run('Conv2DBackpropInput', { dy: g, filter }, inputAttrs));
    },
    gradients: () => grads,
  };
}

/** The stage of one MaxPooling2D layer. */
export function poolStage(plan: PoolPlan): Stage {
  const attrs = { filterSize: plan.filterSize, strides: plan.strides, pad: plan.pad, dimRoundingMode: undefined } as unknown as NamedAttrMap;
  let saved: { x: TensorInfo; y: TensorInfo } | undefined;
  return {
    weights: [],
    forward(input, rows, scope) {
      const x = scope.wrap(input, [rows, ...plan.inShape]);
      const y = scope.run('MaxPool', { x }, attrs);
      saved = { x, y };
      return scope.values(y);
    },
    backward(outputGrad, rows, scope, needInputGrad) {
      if (!needInputGrad) return undefined;
      const dy = scope.wrap(outputGrad, [rows, ...plan.outShape]);
      return scope.values(scope.run('MaxPoolGrad', { dy, input: saved!.x, output: saved!.y }, attrs));
    },
    gradients: () => [],
  };
}
