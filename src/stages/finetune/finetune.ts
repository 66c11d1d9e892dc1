import { applyMasks } from '../../model/weights.js';
import { adaptAfterStage } from '../train/bn-adaptation.js';
import { trainWith, trainingMetrics, trainingProperties } from '../train/train.js';
import type { TrainingParams } from '../train/train.js';
import type { StageDefinition, StageResult } from '../types.js';

/** `finetune`: training that keeps every pruning mask fixed through the optimizer steps. */
export const finetuneStage: StageDefinition<TrainingParams> = {
  type: 'finetune',
  // 2: BatchNormalization adaptation after training (bnAdaptation).
  version: 2,
  description: 'Trains the current model with every pruning mask kept fixed.',
  properties: trainingProperties,
  async run(ctx): Promise<StageResult> {
    const { model, masks } = ctx.input;
    const history = await trainWith(ctx, { masks, afterStep: () => applyMasks(model, masks) });
    const adapted = adaptAfterStage(model, ctx.data, ctx.params);
    return { state: ctx.weightsChanged(ctx.input), metrics: { ...trainingMetrics(history), ...adapted }, history };
  },
};
