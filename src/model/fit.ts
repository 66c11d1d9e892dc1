import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from '../compress/distill.js';
import type { Dataset } from '../data/types.js';
import { Prng, shuffledIndices } from '../util/prng.js';
import { countCorrect, makeBatch } from './batches.js';

/** Optimizer settings of a training stage. */
export interface OptimizerSpec {
  name: 'adam' | 'sgd' | 'rmsprop' | 'momentum';
  /** Step size (default 0.001). */
  learningRate: number;
}

/** Settings of one training loop. */
export interface FitOptions {
  model: tf.LayersModel;
  data: Dataset;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  seed: number;
  /** Loss of a batch; default: cross-entropy of the model's probabilities. */
  loss?: (xs: tf.Tensor, ys: tf.Tensor, probs: tf.Tensor) => tf.Scalar;
  /** Called before each batch with the global step and the total steps (gradual pruning). */
  beforeStep?: (step: number, totalSteps: number) => void;
  /** Called after each optimizer step (re-applying fixed masks). */
  afterStep?: () => void;
  onProgress?: (p: { epoch: number; step: number; steps: number; loss: number; accuracy: number }) => void;
  onEpochEnd?: (epoch: number, logs: { loss: number; accuracy: number }) => void;
  signal?: AbortSignal;
}

/** The optimizer a spec names. */
export function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.name) {
    case 'sgd': return tf.train.sgd(spec.learningRate);
    case 'rmsprop': return tf.train.rmsprop(spec.learningRate);
    case 'momentum': return tf.train.momentum(spec.learningRate, 0.9);
    default: return tf.train.adam(spec.learningRate);
  }
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
export async function fit(options: FitOptions): Promise<Array<{ epoch: number; loss: number; accuracy: number }>> {
  const { model, data, epochs, batchSize } = options;
  const optimizer = makeOptimizer(options.optimizer);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const prng = new Prng(options.seed);
  const steps = Math.ceil(data.train.count / batchSize);
  const history: Array<{ epoch: number; loss: number; accuracy: number }> = [];
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const order = shuffledIndices(data.train.count, prng);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let step = 0; step < steps; step++) {
        if (options.signal?.aborted) throw new AbortedError();
        options.beforeStep?.((epoch - 1) * steps + step, epochs * steps);
        const start = step * batchSize;
        const end = Math.min(data.train.count, start + batchSize);
        const batch = makeBatch(data.train, data.inputShape, data.numClasses, order, start, end);
        let probs: tf.Tensor | undefined;
        const lossTensor = optimizer.minimize(() => {
          const p = model.apply(batch.xs, { training: true }) as tf.Tensor;
          probs = tf.keep(p);
          return options.loss ? options.loss(batch.xs, batch.ys, p) : crossEntropy(batch.ys, p);
        }, true, variables)!;
        const loss = (await lossTensor.data())[0]!;
        correct += countCorrect(probs!, batch.labels);
        seen += batch.labels.length;
        lossSum += loss * batch.labels.length;
        tf.dispose([lossTensor, probs!, batch.xs, batch.ys]);
        options.afterStep?.();
        options.onProgress?.({ epoch, step: step + 1, steps, loss: lossSum / seen, accuracy: correct / seen });
        // Yield to the event loop so signals and progress rendering get a turn.
        if (step % 8 === 7) await new Promise((r) => setImmediate(r));
      }
      const logs = { loss: lossSum / seen, accuracy: correct / seen };
      history.push({ epoch, ...logs });
      options.onEpochEnd?.(epoch, logs);
    }
  } finally {
    optimizer.dispose();
  }
  return history;
}
