import * as tf from '@tensorflow/tfjs';
import { FusedAdamOptimizer } from '../backend/native/adam.js';
import { learningRateAt, shouldStopEarly } from '../compress/lr-schedule.js';
import type { EarlyStopping, LrSchedule } from '../compress/lr-schedule.js';
import type { Dataset } from '../data/types.js';
import { UsageError } from '../errors.js';
import { Prng, deriveSeed, shuffledIndices } from '../util/prng.js';
import { makeBatch } from './batches.js';
import { describeOutputs, targetsFor } from './outputs.js';
import { trainingStepFor, type TrainingStep } from './fast-step/training-step.js';
import type { OutputOptions } from './outputs.js';
import type { BatchLoss } from './fast-step/training-step.js';
import { batchShapeFor } from './shapes.js';
import { restoreOptimizerState, saveOptimizerState } from './optimizer-state.js';
import type { OptimizerState } from './optimizer-state.js';
import { keyedWeights, readWeight, writeWeight } from './weights.js';

/** Optimizer settings of a training stage, generated from the schema. */
export type { OptimizerSpec } from '../recipe/types.js';
import type { OptimizerSpec } from '../recipe/types.js';

export { trainingStepFor, type TrainingStep, type StepOutcome } from './fast-step/training-step.js';

/** Settings of one training loop. */
export interface FitOptions {
  model: tf.LayersModel;
  data: Dataset;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  seed: number;
  /**
   * Loss of a batch; default: the loss of the model's output kind ({@link outputLoss}: cross-entropy
   * of probabilities or of logits, binary cross-entropy, squared error). `ys` are the targets of
   * {@link targetsFor}. A model with several outputs gives its first as `probs` (accuracy is
   * counted on it) and the rest as `extras`. `rows` are the batch's example indices in the
   * training split (what per-example caches key on).
   */
  loss?: BatchLoss;
  /** The recipe's `model.outputs` and `task` (default: detected from the model, classification). */
  outputs?: OutputOptions;
  /** Called before each batch with the global step and the total steps (gradual pruning). */
  beforeStep?: (step: number, totalSteps: number) => void;
  /**
   * Pruning masks by weight key, multiplied into their weights after every optimizer step (before
   * `afterStep`), so pruned weights stay zero. The engine-free step does it inside its Adam pass.
   * The map is read at every step: a gradual prune may change it. Default: none.
   */
  masks?: Map<string, Float32Array>;
  /** Called after each optimizer step (e.g. re-tying clustered weights). */
  afterStep?: () => void;
  /**
   * Rewrites the gradients (by variable name) before each optimizer step (tying clustered
   * weights); returns new tensors, which the loop disposes with the originals. Default: none.
   */
  transformGradients?: (grads: tf.NamedTensorMap) => tf.NamedTensorMap;
  onProgress?: (p: { epoch: number; step: number; steps: number; loss: number; accuracy?: number; mae?: number }) => void;
  /** Called after each epoch but the last with everything needed to continue from there (checkpointing). */
  onEpochEnd?: (snapshot: FitSnapshot) => Promise<void> | void;
  /** Learning rate per epoch (default constant). */
  lrSchedule?: LrSchedule;
  /** Stop when the training loss stops improving (default: run every epoch). */
  earlyStopping?: EarlyStopping;
  /** Extra scalars recorded with each epoch's logs (e.g. the sparsity reached). */
  epochExtra?: () => Record<string, number>;
  /** A snapshot to continue from instead of starting at epoch 1. */
  resume?: FitSnapshot;
  signal?: AbortSignal;
}

/** The training loop's state at the end of an epoch: enough to continue bit-identically. */
export interface FitSnapshot {
  /** Epochs completed. */
  epoch: number;
  /** Every weight of the model, by weight key. */
  weights: Map<string, Float32Array>;
  optimizer: OptimizerState;
  /** State of the shuffling PRNG. */
  prng: number;
  history: EpochLogs[];
}

/** Mean training loss and accuracy (regression: mean absolute error, `mae`) of one epoch, plus any extra scalars. */
export interface EpochLogs {
  epoch: number;
  loss: number;
  [scalar: string]: number;
}

/** The optimizer a spec names. */
export function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.name) {
    case 'sgd': return tf.train.sgd(spec.learningRate);
    case 'rmsprop': return tf.train.rmsprop(spec.learningRate);
    case 'momentum': return tf.train.momentum(spec.learningRate, 0.9);
    // tf.train.adam's defaults; fused (and bit-identical) on the native backend
    case 'adam': return new FusedAdamOptimizer(spec.learningRate, 0.9, 0.999);
    default: {
      // A name the schema allows but this switch lacks fails to compile here.
      const unknown: never = spec.name;
      throw new Error(`unknown optimizer ${String(unknown)}`);
    }
  }
}

/** Changes an optimizer's learning rate between epochs (SGD keeps it as a tensor, others as a number). */
function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(learningRate);
  else o.learningRate = learningRate;
}

/** Thrown from inside a training loop when its AbortSignal fires. */
export class AbortedError extends Error {
  constructor() {
    super('aborted');
  }
}

/**
 * Trains with a custom loop: shuffles with our seeded PRNG (model.fit uses Math.random), calls
 * the hooks around each step, and returns per-epoch mean training loss and accuracy.
 */
export async function fit(options: FitOptions): Promise<EpochLogs[]> {
  const { model, data, epochs, batchSize } = options;
  const optimizer = makeOptimizer(options.optimizer);
  const train = trainingStepFor({
    model, optimizer, outputs: describeOutputs(model, options.outputs), loss: options.loss, transformGradients: options.transformGradients, masks: options.masks,
  });
  let prng = new Prng(options.seed);
  let history: EpochLogs[] = [];
  let first = 1;
  if (options.resume) {
    for (const w of keyedWeights(model)) {
      const values = options.resume.weights.get(w.key);
      if (!values) {
        throw new UsageError(`the epoch checkpoint to resume from has no weight ${w.key}: it was written for another model`, {
          hint: 'run without --resume to restart the stage from its start',
        });
      }
      writeWeight(w, values);
    }
    await restoreOptimizerState(optimizer, options.resume.optimizer);
    prng = Prng.fromState(options.resume.prng);
    history = [...options.resume.history];
    first = options.resume.epoch + 1;
  }
  const steps = Math.ceil(data.train.count / batchSize);
  try {
    for (let epoch = first; epoch <= epochs; epoch++) {
      const order = shuffledIndices(data.train.count, prng);
      const learningRate = learningRateAt(options.lrSchedule ?? { kind: 'constant' }, options.optimizer.learningRate, epoch, epochs);
      setLearningRate(optimizer, learningRate);
      const logs = await runEpoch(options, train, order, epoch, steps);
      history.push({ ...logs, learningRate, ...options.epochExtra?.() });
      if (options.earlyStopping && shouldStopEarly(history.map((h) => h.loss), options.earlyStopping)) break;
      // The last epoch's state is the loop's result, which the caller checkpoints itself.
      if (options.onEpochEnd && epoch < epochs) {
        const weights = new Map(keyedWeights(model).map((w) => [w.key, readWeight(w)]));
        await options.onEpochEnd({ epoch, weights, optimizer: await saveOptimizerState(optimizer), prng: prng.getState(), history: [...history] });
      }
    }
  } finally {
    optimizer.dispose();
  }
  return history;
}

async function runEpoch(options: FitOptions, train: TrainingStep, order: Int32Array, epoch: number, steps: number): Promise<EpochLogs> {
  const { model, data, epochs, batchSize } = options;
  const outputs = describeOutputs(model, options.outputs);
  const shape = batchShapeFor(model, data.inputShape);
  let lossSum = 0;
  let correct = 0;
  let absoluteErrors = 0;
  let seen = 0;
  const dropouts = model.layers.filter((l) => l.getClassName() === 'Dropout') as Array<tf.layers.Layer & { seed?: number }>;
  for (let step = 0; step < steps; step++) {
    if (options.signal?.aborted) throw new AbortedError();
    options.beforeStep?.((epoch - 1) * steps + step, epochs * steps);
    // A Dropout layer draws its mask from its `seed` (Math.random without one): a new seed per
    // step, derived from the run's, gives fresh masks that a resumed run draws again.
    for (const d of dropouts) d.seed = deriveSeed(options.seed, `dropout:${d.name}:${(epoch - 1) * steps + step}`);
    const start = step * batchSize;
    const end = Math.min(data.train.count, start + batchSize);
    const batch = makeBatch(data.train, shape, data.numClasses, order, start, end);
    const targets = targetsFor(outputs, batch);
    const outcome = await train.run(batch.xs, targets, batch.labels, order.subarray(start, end));
    absoluteErrors += outcome.absoluteError;
    correct += outcome.correct;
    seen += batch.labels.length;
    lossSum += outcome.loss * batch.labels.length;
    tf.dispose([batch.xs, batch.ys, targets]);
    options.afterStep?.();
    const quality = outputs.kind === 'regression' ? { mae: absoluteErrors / seen } : { accuracy: correct / seen };
    options.onProgress?.({ epoch, step: step + 1, steps, loss: lossSum / seen, ...quality });
    // Yield to the event loop so signals and progress rendering get a turn.
    if (step % 8 === 7) await new Promise((r) => setImmediate(r));
  }
  return { epoch, loss: lossSum / seen, ...(outputs.kind === 'regression' ? { mae: absoluteErrors / seen } : { accuracy: correct / seen }) };
}
