// BatchNormalization adaptation (as NNCF's): after pruning or a short fine-tune, the moving
// statistics BN normalizes with in inference mode no longer describe the activations it sees
// (TF.js's default momentum 0.99 follows them slowly), and a model that trains well can predict
// at chance. Here they are re-estimated exactly: each BN layer's moving mean and variance become
// the per-channel mean and (population) variance of its input over the first training batches,
// layer after layer in topological order, so every BN sees its inputs as normalized by the
// already-adapted BN layers before it — what inference will feed it.
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types.js';
import { makeBatch } from './batches.js';
import { batchShapeFor } from './shapes.js';

/** What {@link adaptBatchNorm} did. */
export interface BnAdaptation {
  /** BatchNormalization layers whose moving statistics were re-estimated. */
  layers: number;
  /** Training examples they were estimated on. */
  examples: number;
}

/** Per-channel running count, mean and sum of squared deviations (Chan et al.'s parallel update), in float64. */
interface Moments { count: number; mean: Float64Array; m2: Float64Array }

/** The top-level BatchNormalization layers applied exactly once (nested models' are left alone). */
export function batchNormLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() === 'BatchNormalization' && l.inboundNodes.length === 1);
}

/**
 * BN layers grouped by how many BN layers lie on their longest path from the input: layers of one
 * level do not feed each other, so one pass of the model measures all of them.
 */
function levels(model: tf.LayersModel, bns: tf.layers.Layer[]): tf.layers.Layer[][] {
  const isBn = new Set(bns);
  const depth = new Map<tf.layers.Layer, number>();
  // model.layers is in topological order: every inbound layer has its depth already.
  for (const layer of model.layers) {
    const inbound = layer.inboundNodes.flatMap((n) => n.inboundLayers);
    depth.set(layer, Math.max(0, ...inbound.map((l) => (depth.get(l) ?? 0) + (isBn.has(l) ? 1 : 0))));
  }
  const byLevel: tf.layers.Layer[][] = [];
  for (const bn of bns) (byLevel[depth.get(bn)!] ??= []).push(bn);
  return byLevel.filter((level) => level !== undefined);
}

/** Adds one batch's per-channel moments of `x` (channels on `axis`) into `acc`. */
function accumulate(acc: Moments | undefined, x: tf.Tensor, axis: number): Moments {
  const channelAxis = axis < 0 ? x.rank + axis : axis;
  const reduce = [...Array(x.rank).keys()].filter((a) => a !== channelAxis);
  const n = reduce.reduce((p, a) => p * x.shape[a]!, 1);
  const { mean, variance } = tf.moments(x, reduce);
  const batchMean = mean.dataSync();
  const batchVar = variance.dataSync();
  tf.dispose([mean, variance]);
  const out = acc ?? { count: 0, mean: new Float64Array(batchMean.length), m2: new Float64Array(batchMean.length) };
  const total = out.count + n;
  for (let c = 0; c < batchMean.length; c++) {
    const delta = batchMean[c]! - out.mean[c]!;
    out.mean[c] = out.mean[c]! + (delta * n) / total;
    out.m2[c] = out.m2[c]! + batchVar[c]! * n + (delta * delta * out.count * n) / total;
  }
  out.count = total;
  return out;
}

/** Writes the estimated statistics into a BN layer's moving mean and variance. */
function writeStatistics(bn: tf.layers.Layer, moments: Moments): void {
  const find = (suffix: string) => bn.weights.find((w) => w.originalName.endsWith(suffix))!;
  const mean = find('moving_mean');
  const variance = find('moving_variance');
  const values = Float32Array.from(moments.m2, (m2) => m2 / moments.count);
  const tensors = [tf.tensor(Float32Array.from(moments.mean), mean.shape as number[]), tf.tensor(values, variance.shape as number[])];
  mean.write(tensors[0]!);
  variance.write(tensors[1]!);
  tf.dispose(tensors);
}

/**
 * Re-estimates the moving mean and variance of every top-level BatchNormalization layer of
 * `model` on the first `batches` batches of `batchSize` training examples (in split order, so the
 * result is deterministic). Inference mode throughout: no weight but the BN statistics changes.
 * A model without BN is left as it is (`layers: 0`).
 */
export function adaptBatchNorm(model: tf.LayersModel, data: Dataset, batches: number, batchSize: number): BnAdaptation {
  const bns = batchNormLayers(model);
  // condense batches feed one input; a multi-input model keeps its statistics.
  if (bns.length === 0 || model.inputs.length !== 1) return { layers: 0, examples: 0 };
  const examples = Math.min(data.train.count, batches * batchSize);
  if (examples === 0) return { layers: 0, examples: 0 };
  const shape = batchShapeFor(model, data.inputShape);
  for (const level of levels(model, bns)) {
    // A view of the same layers ending at the BN inputs; not disposed, it owns nothing of its own.
    const tap = tf.model({ inputs: model.inputs, outputs: level.map((bn) => bn.input as tf.SymbolicTensor) });
    const moments: Array<Moments | undefined> = level.map(() => undefined);
    for (let start = 0; start < examples; start += batchSize) {
      const batch = makeBatch(data.train, shape, data.numClasses, null, start, Math.min(examples, start + batchSize));
      const out = tap.predict(batch.xs);
      const outs = Array.isArray(out) ? out : [out];
      level.forEach((bn, i) => { moments[i] = accumulate(moments[i], outs[i]!, (bn.getConfig().axis as number | undefined) ?? -1); });
      tf.dispose([batch.xs, batch.ys, ...outs]);
    }
    level.forEach((bn, i) => writeStatistics(bn, moments[i]!));
  }
  return { layers: bns.length, examples };
}
