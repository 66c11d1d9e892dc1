// First-order Taylor importance (Molchanov et al.): how much the loss would change if a weight
// were zero, |w · ∂L/∂w|, summed over a few training batches.
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../../data/types.js';
import { makeBatch } from '../../model/batches.js';
import { describeOutputs, outputLoss, targetsFor } from '../../model/outputs.js';
import type { OutputOptions } from '../../model/outputs.js';
import { batchShapeFor } from '../../model/shapes.js';

/** Training batches taylor importance reads (the first ones, in order: deterministic). */
export const TAYLOR_BATCHES = 4;

/**
 * Σ over {@link TAYLOR_BATCHES} batches of |w · ∂L/∂w| for every trainable weight, by layer name
 * and short weight name (`dense1` → `kernel` → values); the model is run in inference mode.
 */
export function taylorScores(model: tf.LayersModel, data: Dataset, options: OutputOptions, batchSize: number): Map<string, Map<string, Float32Array>> {
  const outputs = describeOutputs(model, options);
  const shape = batchShapeFor(model, data.inputShape);
  const weights = model.trainableWeights;
  const variables = weights.map((w) => w.read() as tf.Variable);
  const sums = weights.map((w) => new Float32Array((w.shape as number[]).reduce((a, b) => a * b, 1)));
  for (let b = 0; b < TAYLOR_BATCHES && b * batchSize < data.train.count; b++) {
    const batch = makeBatch(data.train, shape, data.numClasses, null, b * batchSize, Math.min(data.train.count, (b + 1) * batchSize));
    const targets = targetsFor(outputs, batch);
    const { value, grads } = tf.variableGrads(() => outputLoss(outputs, targets, model.apply(batch.xs, { training: false }) as tf.Tensor), variables);
    variables.forEach((v, i) => {
      const product = tf.tidy(() => tf.abs(tf.mul(v, grads[v.name]!)));
      const values = product.dataSync();
      for (let k = 0; k < values.length; k++) sums[i]![k] += values[k]!;
      product.dispose();
    });
    tf.dispose([value, ...Object.values(grads), batch.xs, batch.ys, targets]);
  }
  const byLayer = new Map<string, Map<string, Float32Array>>();
  model.layers.forEach((layer) => {
    for (const w of layer.trainableWeights) {
      const i = weights.indexOf(w);
      if (i < 0) continue;
      const own = byLayer.get(layer.name) ?? new Map<string, Float32Array>();
      own.set(w.originalName.split('/').pop()!, sums[i]!);
      byLayer.set(layer.name, own);
    }
  });
  return byLayer;
}
