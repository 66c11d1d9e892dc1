import * as tf from '@tensorflow/tfjs';
import { distillationLoss, hiddenStateLoss } from '../../compress/distill.js';
import { UsageError } from '../../errors.js';
import { buildBuiltinModel } from '../../model/builtin.js';
import { deriveSeed } from '../../util/prng.js';
import { didYouMean } from '../../util/suggest.js';
import { applyMasks } from '../../model/weights.js';
import { MODEL_SCHEMA } from '../../recipe/schema.js';
import type { DistillStage, StageParams } from '../../recipe/types.js';
import { trainWith, trainingMetrics, trainingProperties } from '../train/train.js';
import { modelSpecProblems, viewOfSpec } from '../../model/architecture.js';
import type { ModelSpec } from '../../recipe/types.js';
import type { ModelState, StageCheckContext, StageCheckProblem, StageContext, StageDefinition, StageResult } from '../types.js';

/**
 * Fields of a `distill` stage, generated from the schema: `teacher` (`stage:<name>` or a
 * model.json path), `student` (absent: the current model is the student, its masks kept),
 * `temperature`, `alpha`, `hidden` (layer pairs whose outputs are matched) and the training fields.
 */
export type DistillParams = StageParams<DistillStage>;

const STAGE_PREFIX = 'stage:';

// The teacher a run loaded, released by cleanup whether the stage succeeded or failed.
const teachers = new WeakMap<StageContext<DistillParams>, tf.LayersModel>();

/** `distill`: trains a student against a teacher's softened outputs. */
export const distillStage: StageDefinition<DistillParams> = {
  type: 'distill',
  version: 1,
  description: 'Trains a student on alpha·T²·KL(teacher/T ‖ student/T) + (1−alpha)·cross-entropy.',
  properties: {
    teacher: { type: 'string', minLength: 1, description: 'Teacher: "stage:<name>" of an earlier stage, or a model.json path.' },
    student: { ...MODEL_SCHEMA, description: 'Builtin student model; default: the current model.' },
    temperature: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 4, description: 'Softmax temperature T (default 4).' },
    alpha: { type: 'number', minimum: 0, maximum: 1, default: 0.9, description: 'Weight of the soft-target loss (default 0.9).' },
    hidden: {
      type: 'array',
      minItems: 1,
      maxItems: 16,
      description: 'Hidden-state distillation (as in TinyBERT): each pair adds weight · mean squared error between '
        + 'a student layer\'s output and a teacher layer\'s output. Their shapes must agree except the last '
        + 'dimension; when widths differ, a learned linear projection (trained with the student, not exported) maps the student\'s.',
      items: {
        type: 'object',
        properties: {
          teacher: { type: 'string', minLength: 1, description: 'A layer name of the teacher.' },
          student: { type: 'string', minLength: 1, description: 'A layer name of the student.' },
          weight: { type: 'number', minimum: 0, maximum: 1000, default: 1, description: 'Weight of this pair\'s loss (default 1).' },
        },
        required: ['teacher', 'student'],
        additionalProperties: false,
      },
    },
    ...trainingProperties,
  },
  required: ['teacher'],
  references: (p) => (p.teacher.startsWith(STAGE_PREFIX) ? [p.teacher.slice(STAGE_PREFIX.length)] : []),
  modelFiles: (p) => (p.teacher.startsWith(STAGE_PREFIX) ? [] : [p.teacher]),
  replacesModel: (p) => (p.student ? viewOfSpec(p.student as ModelSpec) : undefined),
  check: (p, context) => [...teacherProblems(p, context), ...studentProblems(p)],
  async run(ctx): Promise<StageResult> {
    const p = ctx.params;
    const teacher: tf.LayersModel = p.teacher.startsWith(STAGE_PREFIX)
      ? (await ctx.loadStageModel(p.teacher.slice(STAGE_PREFIX.length))).model
      : await ctx.loadModelPath(p.teacher);
    teachers.set(ctx, teacher);
    const student: ModelState = p.student
      ? ctx.freshState(buildBuiltinModel(p.student, ctx.data.inputShape, ctx.data.numClasses, ctx.seed, ctx.data.vocabSize))
      : ctx.weightsChanged(ctx.input);
    const pairs = p.hidden ?? [];
    const taps = hiddenTaps(teacher, student.model, pairs, ctx.seed);
    const history = await trainWith({ ...ctx, input: student }, {
      masks: student.masks,
      loss: (xs, ys, probs, studentHidden) => {
        const [teacherProbs, ...teacherHidden] = [taps.teacher.predict(xs) as tf.Tensor | tf.Tensor[]].flat();
        let loss = distillationLoss(teacherProbs!, probs, ys, p.temperature, p.alpha);
        if (pairs.length > 0) {
          const matched = hiddenStateLoss(studentHidden, teacherHidden, pairs.map((h) => h.weight ?? 1));
          loss = tf.tidy(() => tf.add(loss, matched)) as tf.Scalar;
        }
        tf.dispose([teacherProbs!, ...teacherHidden]);
        return loss;
      },
      afterStep: () => applyMasks(student.model, student.masks),
    }, taps.student);
    return { state: student, metrics: trainingMetrics(history), history };
  },
  cleanup(ctx) {
    teachers.get(ctx)?.dispose();
    teachers.delete(ctx);
  },
};

/** A `stage:` teacher must name an earlier stage. */
function teacherProblems(p: DistillParams, { earlier }: StageCheckContext): StageCheckProblem[] {
  if (!p.teacher.startsWith(STAGE_PREFIX)) return [];
  const ref = p.teacher.slice(STAGE_PREFIX.length);
  const names = earlier.map((s) => s.name);
  if (names.includes(ref)) return [];
  return [{
    path: ['teacher'], keyword: 'stage-reference', message: `teacher "${p.teacher}" names no earlier stage`,
    hint: didYouMean(ref, names) ?? (names.length ? `earlier stages: ${names.join(', ')}` : 'the teacher stage must come before this one'),
  }];
}

/** A student is a builtin model spec (the schema allows no path for it). */
function studentProblems(p: DistillParams): StageCheckProblem[] {
  if (!p.student || typeof p.student !== 'object') return [];
  return modelSpecProblems(p.student as ModelSpec, false).map((m) => ({ ...m, path: ['student', ...m.path], keyword: 'model' }));
}

/**
 * The models a distillation trains and queries. Without hidden pairs: the student and the teacher
 * themselves. With them: the same layers with extra outputs: the teacher's named layers, and the
 * student's (through a learned linear projection, without bias, where widths differ). The
 * projections are layers of the training model only, so epoch checkpoints keep them but the
 * exported student does not.
 */
function hiddenTaps(teacher: tf.LayersModel, student: tf.LayersModel, pairs: NonNullable<DistillParams['hidden']>, seed: number): { teacher: tf.LayersModel; student: tf.LayersModel } {
  if (pairs.length === 0) return { teacher, student };
  const layer = (model: tf.LayersModel, role: string, name: string) => {
    const names = model.layers.map((l) => l.name);
    if (!names.includes(name)) {
      const hint = didYouMean(name, names) ?? `its layers: ${names.join(', ')}`;
      throw new UsageError(`distill.hidden: the ${role} has no layer "${name}" (${hint})`);
    }
    return model.getLayer(name).output as tf.SymbolicTensor;
  };
  const teacherOutputs = pairs.map((h) => layer(teacher, 'teacher', h.teacher));
  const studentOutputs = pairs.map((h, i) => {
    const out = layer(student, 'student', h.student);
    const want = teacherOutputs[i]!.shape;
    if (out.shape.length !== want.length || out.shape.slice(1, -1).some((d, k) => d !== want[k + 1])) {
      const shape = (dims: readonly (number | null)[]) => `[${dims.map((d) => d ?? 'batch').join(', ')}]`;
      throw new UsageError(`distill.hidden: student layer "${h.student}" outputs ${shape(out.shape)} and teacher layer "${h.teacher}" `
        + `${shape(want)}; they must agree in every dimension but the last`);
    }
    if (out.shape.at(-1) === want.at(-1)) return out;
    return tf.layers.dense({
      units: want.at(-1)!, useBias: false, name: `hidden_projection_${i + 1}`,
      kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, `hidden-projection:${i}`) }),
    }).apply(out) as tf.SymbolicTensor;
  });
  return {
    teacher: tf.model({ inputs: teacher.inputs, outputs: [teacher.outputs[0]!, ...teacherOutputs] }),
    student: tf.model({ inputs: student.inputs, outputs: [student.outputs[0]!, ...studentOutputs] }),
  };
}
