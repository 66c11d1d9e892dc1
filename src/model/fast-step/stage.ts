/**
 * One layer of the engine-free step on raw float32 arrays: a forward pass that keeps what its
 * backward pass needs, then the backward pass, which leaves the layer's weight gradients.
 */
import { denseBackward, denseBuffers, denseForward, type DenseBuffers } from './dense.js';
import type { KernelScope } from './kernels.js';
import type { LayerWeight } from './layer-fields.js';
import type { DensePlan } from './plan.js';

/** A layer's passes; arrays it returns stay valid until the next step. */
export interface Stage {
  /** Its trainable weights in the model's order (kernel, then bias). */
  weights: LayerWeight[];
  /** The output for `input` of `rows` examples, given the weights' current values. */
  forward(input: Float32Array, rows: number, scope: KernelScope, weights: Float32Array[]): Float32Array;
  /** The input's gradient (undefined when `needInputGrad` is false: the model's input), after which {@link gradients} holds the weights'. */
  backward(outputGrad: Float32Array, rows: number, scope: KernelScope, needInputGrad: boolean): Float32Array | undefined;
  gradients(): Float32Array[];
}

/** The stage of one Dense layer (./dense.ts), with buffers per batch size. */
export function denseStage(plan: DensePlan): Stage {
  const byRows = new Map<number, DenseBuffers>();
  let last: { buf: DenseBuffers; input: Float32Array; kernel: Float32Array } | undefined;
  return {
    weights: plan.bias ? [plan.kernel, plan.bias] : [plan.kernel],
    forward(input, rows, _scope, [kernel, bias]) {
      let buf = byRows.get(rows);
      if (!buf) byRows.set(rows, (buf = denseBuffers(plan, rows)));
      denseForward(plan, buf, input, kernel!, bias, rows);
      last = { buf, input, kernel: kernel! };
      return buf.output;
    },
    backward(outputGrad, rows, _scope, needInputGrad) {
      const { buf, input, kernel } = last!;
      denseBackward(plan, buf, input, kernel, outputGrad, rows, needInputGrad);
      return needInputGrad ? buf.inputGrad : undefined;
    },
    gradients: () => {
      const buf = last!.buf;
      return buf.biasGrad ? [buf.kernelGrad, buf.biasGrad] : [buf.kernelGrad];
    },
  };
}
