import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from '../compress/distill.js';
import { isGraphModel } from './graph/editable.js';
import type { CondenseModel } from './kind.js';
import type { ScoreKind } from './model-types.js';

// What a model's output means, decided in one place: training losses, held-out metrics and
// distillation all go through here.

export type { ScoreKind } from './model-types.js';

/**
 * How a model's output is read: `classification` (one score per class), `binary` (one unit:
 * the score of class 1; labels 0/1) or `regression` (the predicted values themselves).
 */
export interface ModelOutputs {
  kind: 'classification' | 'binary' | 'regression';
  /** For classification and binary: probabilities (softmax/sigmoid) or logits. Regression: logits (raw values). */
  scores: ScoreKind;
}

/** What the recipe says about outputs: `model.outputs` (overrides detection) and `task` (default classification). */
export interface OutputOptions {
  outputs?: ScoreKind;
  task?: 'classification' | 'regression';
}

interface LayerLike {
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  outputs?: Array<{ sourceLayer: LayerLike }>;
}

/** The activation the model's output comes out of (`softmax`, `sigmoid`, `linear`...), looking inside a nested model. */
export function finalActivation(model: tf.LayersModel): string | undefined {
  let layer = (model.outputs[0] as unknown as { sourceLayer: LayerLike }).sourceLayer;
  while (layer.outputs && layer.outputs.length > 0 && ['Sequential', 'Model', 'Functional'].includes(layer.getClassName())) {
    layer = layer.outputs[0]!.sourceLayer;
  }
  if (layer.getClassName() === 'Softmax') return 'softmax';
  const activation = layer.getConfig().activation;
  return typeof activation === 'string' ? activation : undefined;
}

/**
 * Reads what a model outputs: regression when the task says so; otherwise one output unit is
 * binary, more are classification. Probabilities when the model ends in softmax (or sigmoid),
 * logits otherwise, unless `options.outputs` says which.
 */
export function describeOutputs(model: CondenseModel, options: OutputOptions = {}): ModelOutputs {
  if (options.task === 'regression') return { kind: 'regression', scores: 'logits' };
  const units = model.outputs[0]!.shape.at(-1);
  const activation = isGraphModel(model) ? undefined : finalActivation(model);
  const detected: ScoreKind = isGraphModel(model) ? model.scores
    : activation === 'softmax' || activation === 'sigmoid' ? 'probabilities' : 'logits';
  return { kind: units === 1 ? 'binary' : 'classification', scores: options.outputs ?? detected };
}

/** A batch's targets for this output: one-hot rows (classification), 0/1 (binary) or the values (regression), `[n, 1]` for the latter two. */
export function targetsFor(o: ModelOutputs, batch: { ys: tf.Tensor; targets: Float32Array }): tf.Tensor {
  return o.kind === 'classification' ? batch.ys : tf.tensor2d(batch.targets, [batch.targets.length, 1]);
}

const EPSILON = 1e-7;

/** Mean loss over the batch: cross-entropy (from probabilities or logits), binary cross-entropy, or squared error. */
export function outputLoss(o: ModelOutputs, targets: tf.Tensor, out: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    if (o.kind === 'regression') return tf.losses.meanSquaredError(targets, out) as tf.Scalar;
    if (o.kind === 'binary') {
      if (o.scores === 'logits') return tf.losses.sigmoidCrossEntropy(targets, out) as tf.Scalar;
      const p = tf.clipByValue(out, EPSILON, 1 - EPSILON);
      return tf.neg(tf.mean(tf.add(tf.mul(targets, tf.log(p)), tf.mul(tf.sub(1, targets), tf.log(tf.sub(1, p)))))) as tf.Scalar;
    }
    return o.scores === 'logits' ? tf.losses.softmaxCrossEntropy(targets, out) as tf.Scalar : crossEntropy(targets, out);
  });
}

/** Correct predictions of a batch: argmax (classification) or score past the threshold (binary: 0.5, or 0 for logits). */
export function countCorrectOf(o: ModelOutputs, out: tf.Tensor, labels: Int32Array): number {
  if (o.kind === 'regression') return 0;
  const predicted = predictedClasses(o, out);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct;
}

/** The class each row of a batch's output predicts: argmax, or the binary threshold (0.5, or 0 for logits). */
export function predictedClasses(o: ModelOutputs, out: tf.Tensor): Int32Array {
  const t = tf.tidy(() => (o.kind === 'binary'
    ? tf.cast(tf.greater(tf.reshape(out, [-1]), o.scores === 'logits' ? 0 : 0.5), 'int32')
    : tf.cast(tf.argMax(out, -1), 'int32')));
  const values = t.dataSync() as Int32Array;
  t.dispose();
  return values;
}

/** Sums of absolute and squared errors of a batch of predicted values (regression). */
export function errorSums(out: tf.Tensor, targets: tf.Tensor): { absolute: number; squared: number } {
  const [absolute, squared] = tf.tidy(() => {
    const diff = tf.sub(tf.reshape(out, [-1]), tf.reshape(targets, [-1]));
    return [tf.sum(tf.abs(diff)), tf.sum(tf.square(diff))];
  });
  const result = { absolute: absolute!.dataSync()[0]!, squared: squared!.dataSync()[0]! };
  tf.dispose([absolute!, squared!]);
  return result;
}

/**
 * Class logits of a classifier's output, for distillation: probabilities become log p (softmax
 * is shift-invariant, so softmax(log p) = p), a binary unit becomes two classes.
 */
export function classLogits(o: ModelOutputs, out: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (o.kind === 'binary') {
      const z = o.scores === 'logits' ? out : tf.sub(tf.log(tf.clipByValue(out, EPSILON, 1)), tf.log(tf.clipByValue(tf.sub(1, out), EPSILON, 1)));
      return tf.concat([tf.zerosLike(z), z], -1);
    }
    return o.scores === 'logits' ? out : tf.log(tf.clipByValue(out, EPSILON, 1));
  });
}
