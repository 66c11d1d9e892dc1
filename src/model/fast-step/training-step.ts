/**
 * One training step as the training loop runs it: engine-free (./step.ts) when {@link planFastStep}
 * allows, else `optimizer.minimize` through TF.js's engine. Both give the same bits; benchmarks
 * time this, so they time what condense runs.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { FusedAdamOptimizer } from '../../backend/native/adam.js';
import { f32 } from '../../backend/native/util.js';
import { countCorrectOf, errorSums, outputLoss } from '../outputs.js';
import { applyMasks, keyedWeights } from '../weights.js';
import type { ModelOutputs } from '../outputs.js';
import { planFastStep } from './plan.js';
import { countCorrectRows, fastStep } from './step.js';

/** A batch's custom loss (see FitOptions.loss in ../fit.ts). */
export type BatchLoss = (xs: tf.Tensor, ys: tf.Tensor, probs: tf.Tensor, extras: tf.Tensor[], rows: Int32Array) => tf.Scalar;

/** What a step needs besides the batch. */
export interface TrainingStepOptions {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  outputs: ModelOutputs;
  /** Default: the output kind's loss ({@link outputLoss}). */
  loss?: BatchLoss;
  transformGradients?: (grads: tf.NamedTensorMap) => tf.NamedTensorMap;
  /** Masks by weight key multiplied into the weights after each step (see FitOptions.masks in ../fit.ts). */
  masks?: Map<string, Float32Array>;
}

/** A batch's outcome: its mean loss, correct predictions (classification) and absolute error sum (regression). */
export interface StepOutcome {
  loss: number;
  correct: number;
  absoluteError: number;
}

/** A training step: `run` trains on one batch; `path` says which implementation runs and `reason` why not the fast one. */
export interface TrainingStep {
  path: 'fast' | 'engine';
  reason?: string;
  /** `targets` are {@link targetsFor}'s, `labels` the classes, `rows` the batch's example indices (custom losses key on them). */
  run(xs: tf.Tensor, targets: tf.Tensor, labels: Int32Array, rows?: Int32Array): Promise<StepOutcome>;
}

/** The step the training loop uses for this model, optimizer and loss. */
export function trainingStepFor(options: TrainingStepOptions): TrainingStep {
  const plan = planFastStep(options.model, {
    optimizer: options.optimizer, outputs: options.outputs, customLoss: !!options.loss, transformGradients: !!options.transformGradients,
  });
  if (!plan.ok) return { path: 'engine', reason: plan.reason, run: engineStep(options) };
  const keys = new Map<unknown, string>(keyedWeights(options.model).map((w) => [w.variable, w.key]));
  const masks = options.masks;
  const step = fastStep(plan, options.optimizer as FusedAdamOptimizer, masks ? (w) => masks.get(keys.get(w)!) : undefined);
  const { classes } = plan;
  // The step only reads the batch: float32 tensors lend their backing arrays, others are cast as TF.js's Cast does.
  const valuesOf = (t: tf.Tensor) => (t.dtype === 'float32' ? f32(tf.backend() as MathBackendCPU, t) : Float32Array.from(t.dataSync()));
  return {
    path: 'fast',
    run: async (xs, targets, labels) => {
      const { loss, probs } = step(valuesOf(xs), valuesOf(targets), labels.length);
      return { loss, correct: countCorrectRows(probs, classes, labels), absoluteError: 0 };
    },
  };
}

/** The step through TF.js's engine: minimize (or computeGradients, the transform, applyGradients). */
function engineStep(options: TrainingStepOptions): TrainingStep['run'] {
  const { model, optimizer, outputs } = options;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return async (xs, targets, labels, rows = new Int32Array(0)) => {
    let probs: tf.Tensor | undefined;
    const lossTensor = optimizerStep(optimizer, () => {
      const out = model.apply(xs, { training: true }) as tf.Tensor | tf.Tensor[];
      const [p, ...extras] = Array.isArray(out) ? out : [out];
      probs = tf.keep(p!);
      return options.loss ? options.loss(xs, targets, p!, extras, rows) : outputLoss(outputs, targets, p!);
    }, variables, options.transformGradients);
    if (options.masks) applyMasks(model, options.masks);
    const loss = (await lossTensor.data())[0]!;
    const regression = outputs.kind === 'regression';
    const outcome = { loss, correct: regression ? 0 : countCorrectOf(outputs, probs!, labels), absoluteError: regression ? errorSums(probs!, targets).absolute : 0 };
    tf.dispose([lossTensor, probs!]);
    return outcome;
  };
}

/** One optimizer step on `loss`, returning the loss; `transform` rewrites the gradients first. */
function optimizerStep(optimizer: tf.Optimizer, loss: () => tf.Scalar, variables: tf.Variable[], transform?: TrainingStepOptions['transformGradients']): tf.Scalar {
  if (!transform) return optimizer.minimize(loss, true, variables)!;
  // What minimize() does, with the transform between computing and applying the gradients.
  const { value, grads } = optimizer.computeGradients(loss, variables);
  const transformed = transform(grads);
  optimizer.applyGradients(transformed);
  tf.dispose([...Object.values(grads), ...Object.values(transformed)]);
  return value;
}
