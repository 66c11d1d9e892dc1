import * as tf from '@tensorflow/tfjs';
import { adaptAfterStage } from '../train/bn-adaptation.js';
import { augmentProblems, trainWith, trainingMetrics, trainingProperties } from '../train/train.js';
import type { TrainingParams } from '../train/train.js';
import type { StageDefinition, StageResult } from '../types.js';

/**
 * `finetune`: training that keeps every pruning mask fixed through the optimizer steps, and every
 * kind of state that training can keep (cluster ties) true: those kinds are handed on, not released.
 */
export const finetuneStage: StageDefinition<TrainingParams> = {
  type: 'finetune',
  // 2: BatchNormalization adaptation after training (bnAdaptation).
  version: 2,
  description: 'Trains the current model with every pruning mask kept fixed (and clustered weights kept tied).',
  properties: trainingProperties,
  check: augmentProblems,
  async run(ctx): Promise<StageResult> {
    const { model, masks } = ctx.input;
    const constraints = ctx.trainingConstraints?.(ctx.input) ?? [];
    const transforms = constraints.flatMap((c) => (c.transformGradients ? [c.transformGradients] : []));
    const history = await trainWith(ctx, {
      masks,
      keepMasks: true,
      afterStep: () => {
        for (const c of constraints) c.afterStep?.();
      },
      ...(transforms.length ? { transformGradients: (grads: tf.NamedTensorMap) => transforms.reduce(chain(grads), grads) } : {}),
    });
    const adapted = adaptAfterStage(model, ctx.data, ctx.params);
    const kept = Object.fromEntries(constraints.map((c) => [c.kind, ctx.input[c.kind]]));
    return { state: ctx.weightsChanged(ctx.input, kept), metrics: { ...trainingMetrics(history), ...adapted }, history };
  },
};

/** Applies one transform after another, disposing the gradients a later one replaced (the loop disposes the first and last maps). */
function chain(first: tf.NamedTensorMap) {
  return (grads: tf.NamedTensorMap, transform: (g: tf.NamedTensorMap) => tf.NamedTensorMap): tf.NamedTensorMap => {
    const next = transform(grads);
    if (grads !== first) tf.dispose(Object.values(grads).filter((g) => !Object.values(next).includes(g)));
    return next;
  };
}
