/**
 * The engine-free training step of a chain of conv, pooling and Dense layers (see ./plan.ts for
 * which models): forward pass, cross-entropy, backward pass and Adam on raw float32 arrays — the
 * Dense layers and the loss as direct addon calls on persistent buffers, the image layers through
 * the registered native kernels — with bits identical to `optimizer.minimize` on the native backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { FusedAdamOptimizer } from '../../backend/native/adam.js';
import { InPlaceAdam } from './adam.js';
import { convStage, poolStage } from './conv.js';
import { KernelScope, valuesOf } from './kernels.js';
import { crossEntropyBackward, crossEntropyForward, lossBuffers, type LossBuffers } from './loss.js';
import type { FastChain, LayerPlan, LayerWeight } from './plan.js';
import { denseStage, type Stage } from './stage.js';

/** One engine-free step: the batch's loss and its probabilities (valid until the next step). */
export type FastStep = (xs: Float32Array, targets: Float32Array, rows: number) => { loss: number; probs: Float32Array };

function stageOf(plan: LayerPlan): Stage {
  if (plan.kind === 'conv') return convStage(plan);
  if (plan.kind === 'pool') return poolStage(plan);
  return denseStage(plan);
}

/** Values per example of the chain's input. */
function inputSize(plan: LayerPlan): number {
  return plan.kind === 'dense' ? plan.inUnits : plan.inShape[0] * plan.inShape[1] * plan.inShape[2];
}

/**
 * Builds the step of a chain (from {@link planFastStep}) updating with `optimizer`; `maskOf` gives
 * the pruning mask multiplied into a weight after each update, if any (read every step).
 */
export function fastStep({ layers, classes }: FastChain, optimizer: FusedAdamOptimizer, maskOf?: (weight: LayerWeight) => Float32Array | undefined): FastStep {
  const adam = new InPlaceAdam(optimizer);
  const stages = layers.map(stageOf);
  const losses = new Map<number, LossBuffers>();
  const perExample = inputSize(layers[0]!);
  return (xs, targets, rows) => {
    if (xs.length !== rows * perExample || targets.length !== rows * classes) {
      throw new Error(`internal error: fast step batch of ${rows} rows has ${xs.length} inputs and ${targets.length} targets`);
    }
    const backend = tf.backend() as MathBackendCPU;
    const scope = new KernelScope(backend);
    let lossBuf = losses.get(rows);
    if (!lossBuf) losses.set(rows, (lossBuf = lossBuffers(rows, classes)));
    try {
      // Read every step: hooks (pruning masks) may have replaced a variable's tensor.
      const variables = stages.map((s) => s.weights.map((w) => w.read() as tf.Variable));
      let activation = xs;
      stages.forEach((s, i) => {
        activation = s.forward(activation, rows, scope, variables[i]!.map((v) => valuesOf(backend, v)));
      });
      const probs = activation;
      const loss = crossEntropyForward(lossBuf, probs, targets, rows, classes);
      let grad: Float32Array | undefined = crossEntropyBackward(lossBuf, probs, targets, rows, classes);
      for (let i = stages.length - 1; i >= 0; i--) grad = stages[i]!.backward(grad!, rows, scope, i > 0);
      const masks = maskOf ? stages.flatMap((s) => s.weights.map(maskOf)) : [];
      adam.update(variables.flat(), stages.flatMap((s) => s.gradients()), masks);
      return { loss, probs };
    } finally {
      scope.release();
    }
  };
}

/** Correct rows of `probs` [rows, classes]: tf.argMax's pick (the first largest) equals the label. */
export function countCorrectRows(probs: Float32Array, classes: number, labels: Int32Array): number {
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    const o = r * classes;
    let best = 0;
    let max = probs[o]!;
    for (let j = 1; j < classes; j++) {
      if (probs[o + j]! > max) {
        max = probs[o + j]!;
        best = j;
      }
    }
    if (best === labels[r]) correct++;
  }
  return correct;
}
