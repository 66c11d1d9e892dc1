import type * as tf from '@tensorflow/tfjs';
import { distillationLoss } from '../../compress/distill.js';
import { buildBuiltinModel } from '../../model/builtin.js';
import { applyMasks } from '../../model/weights.js';
import { MODEL_SCHEMA } from '../../recipe/schema.js';
import type { DistillStage, StageParams } from '../../recipe/types.js';
import { trainWith, trainingMetrics, trainingProperties } from '../train/train.js';
import type { ModelState, StageDefinition, StageResult } from '../types.js';

/**
 * Fields of a `distill` stage, generated from the schema: `teacher` (`stage:<name>` or a
 * model.json path), `student` (absent: the current model is the student, its masks kept),
 * `temperature`, `alpha` and the training fields.
 */
export type DistillParams = StageParams<DistillStage>;

const STAGE_PREFIX = 'stage:';

/** `distill`: trains a student against a teacher's softened outputs. */
export const distillStage: StageDefinition<DistillParams> = {
  type: 'distill',
  description: 'Trains a student on alpha·T²·KL(teacher/T ‖ student/T) + (1−alpha)·cross-entropy.',
  properties: {
    teacher: { type: 'string', minLength: 1, description: 'Teacher: "stage:<name>" of an earlier stage, or a model.json path.' },
    student: { ...MODEL_SCHEMA, description: 'Builtin student model; default: the current model.' },
    temperature: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 4, description: 'Softmax temperature T (default 4).' },
    alpha: { type: 'number', minimum: 0, maximum: 1, default: 0.9, description: 'Weight of the soft-target loss (default 0.9).' },
    ...trainingProperties,
  },
  required: ['teacher'],
  references: (p) => (p.teacher.startsWith(STAGE_PREFIX) ? [p.teacher.slice(STAGE_PREFIX.length)] : []),
  async run(ctx): Promise<StageResult> {
    const p = ctx.params;
    const teacher: tf.LayersModel = p.teacher.startsWith(STAGE_PREFIX)
      ? (await ctx.loadStageModel(p.teacher.slice(STAGE_PREFIX.length))).model
      : await ctx.loadModelPath(p.teacher);
    const student: ModelState = p.student
      ? { model: buildBuiltinModel(p.student, ctx.data.inputShape, ctx.data.numClasses, ctx.seed, ctx.data.vocabSize), masks: new Map(), quantization: new Map() }
      : { ...ctx.input, quantization: new Map() };
    const history = await trainWith({ ...ctx, input: student }, {
      masks: student.masks,
      loss: (xs, ys, probs) => {
        const teacherProbs = teacher.predict(xs) as tf.Tensor;
        const loss = distillationLoss(teacherProbs, probs, ys, p.temperature, p.alpha);
        teacherProbs.dispose();
        return loss;
      },
      afterStep: () => applyMasks(student.model, student.masks),
    });
    teacher.dispose();
    return { state: student, metrics: trainingMetrics(history), history };
  },
};
