/**
 * The engine-free training step of a Dense chain (see ./plan.ts for which models): forward pass,
 * cross-entropy, backward pass and Adam, each a direct addon call on raw float32 arrays, with
 * bits identical to `optimizer.minimize` on the native backend and no per-step allocation.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { FusedAdamOptimizer } from '../../backend/native/adam.js';
import { InPlaceAdam } from './adam.js';
import { denseBackward, denseBuffers, denseForward, type DenseBuffers } from './dense.js';
import { crossEntropyBackward, crossEntropyForward, lossBuffers, type LossBuffers } from './loss.js';
import type { DensePlan } from './plan.js';

/** One engine-free step: the batch's loss and its probabilities (valid until the next step). */
export type FastStep = (xs: Float32Array, targets: Float32Array, rows: number) => { loss: number; probs: Float32Array };

interface Buffers {
  layers: DenseBuffers[];
  loss: LossBuffers;
}

/** Builds the step of `layers` (from {@link planFastStep}) updating with `optimizer`. */
export function fastStep(layers: DensePlan[], optimizer: FusedAdamOptimizer): FastStep {
  const adam = new InPlaceAdam(optimizer);
  const byRows = new Map<number, Buffers>();
  const classes = layers.at(-1)!.units;
  const buffersFor = (rows: number): Buffers => {
    let b = byRows.get(rows);
    if (!b) byRows.set(rows, (b = { layers: layers.map((l) => denseBuffers(l, rows)), loss: lossBuffers(rows, classes) }));
    return b;
  };
  return (xs, targets, rows) => {
    if (xs.length !== rows * layers[0]!.inUnits || targets.length !== rows * classes) {
      throw new Error(`internal error: fast step batch of ${rows} rows has ${xs.length} inputs and ${targets.length} targets`);
    }
    const backend = tf.backend() as MathBackendCPU;
    const buf = buffersFor(rows);
    // Read every step: hooks (pruning masks) may have replaced a variable's tensor.
    const kernels = layers.map((l) => valuesOf(backend, l.kernel.read()));
    const biases = layers.map((l) => (l.bias ? valuesOf(backend, l.bias.read()) : undefined));
    const inputs = [xs, ...buf.layers.slice(0, -1).map((b) => b.output)];
    layers.forEach((l, i) => denseForward(l, buf.layers[i]!, inputs[i]!, kernels[i]!, biases[i], rows));
    const probs = buf.layers.at(-1)!.output;
    const loss = crossEntropyForward(buf.loss, probs, targets, rows, classes);
    let grad = crossEntropyBackward(buf.loss, probs, targets, rows, classes);
    for (let i = layers.length - 1; i >= 0; i--) {
      denseBackward(layers[i]!, buf.layers[i]!, inputs[i]!, kernels[i]!, grad, rows, i > 0);
      grad = buf.layers[i]!.inputGrad;
    }
    const variables = layers.flatMap((l) => (l.bias ? [l.kernel.read(), l.bias.read()] : [l.kernel.read()])) as tf.Variable[];
    const gradients = buf.layers.flatMap((b) => (b.biasGrad ? [b.kernelGrad, b.biasGrad] : [b.kernelGrad]));
    adam.update(variables, gradients);
    return { loss, probs };
  };
}

/** A float32 tensor's backing array (no copy). */
function valuesOf(backend: MathBackendCPU, t: tf.Tensor): Float32Array {
  const v = backend.data.get(t.dataId).values;
  if (!(v instanceof Float32Array) || v.length !== t.size) throw new Error('internal error: fast step weight is not a dense float32 tensor');
  return v;
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
