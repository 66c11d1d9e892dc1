import * as tf from '@tensorflow/tfjs';
import { layersModelOf } from '../../model/kind.js';
import { hiddenStateLoss, logitDistillationLoss } from '../../compress/distill.js';
import { UsageError } from '../../errors.js';
import { classLogits, describeOutputs, outputLoss } from '../../model/outputs.js';
import type { ModelOutputs } from '../../model/outputs.js';
import { applyMasks } from '../../model/weights.js';
import type { DistillStage, StageParams } from '../../recipe/types.js';
import { deriveSeed } from '../../util/prng.js';
import { didYouMean } from '../../util/suggest.js';
import { adaptAfterStage } from '../train/bn-adaptation.js';
import { trainWith, trainingMetrics, trainingProperties } from '../train/train.js';
import type { JsonSchema, StageCheckContext, StageCheckProblem, StageContext, StageDefinition, StageResult } from '../types.js';
import { loadTeacher, reshapedFor, teacherPath, teacherStage } from './teacher.js';
import type { Teacher } from './teacher.js';
import { loadStudent, STUDENT_SCHEMA, studentOutputs as declaredStudentOutputs, studentPath, studentProblems, studentView, trimmedVocabularyProblems } from './student.js';

const HIDDEN_SCHEMA: JsonSchema = {
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
};

/**
 * Fields of a `distill` stage, generated from the schema: `teacher` (`stage:<name>`, a model.json
 * path, or `{ path, format, outputs }`), `student` (absent: the current model is the student, its
 * masks kept), `temperature`, `alpha`, `hidden` (layer pairs whose outputs are matched) and the
 * training fields.
 */
export type DistillParams = StageParams<DistillStage>;

// The teacher a run loaded, released by cleanup whether the stage succeeded or failed.
const teachers = new WeakMap<StageContext<DistillParams>, Teacher>();

const TEACHER_SCHEMA: JsonSchema = {
  description: 'Teacher: "stage:<name>" of an earlier stage, a model.json path (a LayersModel), or { path, format, outputs }.',
  oneOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      properties: {
        path: { type: 'string', minLength: 1, description: 'model.json of the teacher, relative to the recipe.' },
        format: { enum: ['layers', 'graph'], description: 'layers (absent: the default): a LayersModel; graph: a TF.js GraphModel, used for inference only.' },
        outputs: { enum: ['probabilities', 'logits'], description: 'What the teacher outputs (default: detected from its last layer or op).' },
      },
      required: ['path'],
      additionalProperties: false,
    },
  ],
};

/** `distill`: trains a student against a teacher's softened outputs. */
export const distillStage: StageDefinition<DistillParams> = {
  type: 'distill',
  // 2: BatchNormalization adaptation of the student after training (bnAdaptation).
  version: 2,
  description: 'Trains a student on alpha·T²·KL(teacher/T ‖ student/T) + (1−alpha)·(loss on the labels).',
  properties: {
    teacher: TEACHER_SCHEMA,
    student: STUDENT_SCHEMA,
    temperature: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 4, description: 'Softmax temperature T (default 4).' },
    alpha: { type: 'number', minimum: 0, maximum: 1, default: 0.9, description: 'Weight of the soft-target loss (default 0.9).' },
    hidden: HIDDEN_SCHEMA,
    ...trainingProperties,
  },
  required: ['teacher'],
  references: (p) => { const stage = teacherStage(p.teacher); return stage !== undefined ? [stage] : []; },
  modelFiles: (p) => [teacherPath(p.teacher), studentPath(p.student)].filter((f): f is string => f !== undefined),
  replacesModel: (p) => studentView(p.student),
  check: (p, context) => [...teacherProblems(p, context), ...studentProblems(p.student), ...trimmedVocabularyProblems(p, context.earlier)],
  async run(ctx): Promise<StageResult> {
    const p = ctx.params;
    const teacher = await loadTeacher(ctx);
    teachers.set(ctx, teacher);
    const student = await loadStudent(ctx, teacher);
    const studentModel = layersModelOf(student.model, ctx.name);
    const studentOptions = declaredStudentOutputs(ctx);
    const studentOutputs = describeOutputs(studentModel, studentOptions);
    const pairs = p.hidden ?? [];
    const taps = hiddenTaps(teacher, studentModel, pairs, ctx.seed);
    const history = await trainWith({ ...ctx, input: student }, {
      masks: student.masks,
      outputs: studentOptions,
      loss: (xs, ys, out, studentHidden) => {
        const [teacherOut, ...teacherHidden] = taps.teacher(xs);
        let loss = softTargetLoss(teacher.outputs, teacherOut!, studentOutputs, out, ys, p.temperature, p.alpha);
        if (pairs.length > 0) {
          const matched = hiddenStateLoss(studentHidden, teacherHidden, pairs.map((h) => h.weight ?? 1));
          loss = tf.tidy(() => tf.add(loss, matched)) as tf.Scalar;
        }
        tf.dispose([teacherOut!, ...teacherHidden]);
        return loss;
      },
      afterStep: () => applyMasks(student.model, student.masks),
    }, taps.student);
    const adapted = adaptAfterStage(studentModel, ctx.data, p);
    return { state: student, metrics: { ...trainingMetrics(history), ...adapted }, history };
  },
  cleanup(ctx) {
    teachers.get(ctx)?.dispose();
    teachers.delete(ctx);
  },
};

/**
 * The distillation loss for these outputs, from class logits (probabilities enter as log p):
 * for regression, alpha · MSE(student, teacher) + (1 − alpha) · MSE(student, targets).
 */
function softTargetLoss(teacher: ModelOutputs, teacherOut: tf.Tensor, student: ModelOutputs, studentOut: tf.Tensor, ys: tf.Tensor, temperature: number, alpha: number): tf.Scalar {
  return tf.tidy(() => {
    const hard = outputLoss(student, ys, studentOut);
    if (student.kind === 'regression') {
      return tf.add(tf.mul(alpha, tf.losses.meanSquaredError(teacherOut, studentOut)), tf.mul(1 - alpha, hard)) as tf.Scalar;
    }
    return logitDistillationLoss(classLogits(teacher, teacherOut), classLogits(student, studentOut), hard, temperature, alpha);
  });
}

/** A `stage:` teacher must name an earlier stage. */
function teacherProblems(p: DistillParams, { earlier }: StageCheckContext): StageCheckProblem[] {
  const ref = teacherStage(p.teacher);
  if (ref === undefined) return [];
  const names = earlier.map((s) => s.name);
  if (names.includes(ref)) return [];
  return [{
    path: ['teacher'], keyword: 'stage-reference', message: `teacher "stage:${ref}" names no earlier stage`,
    hint: didYouMean(ref, names) ?? (names.length ? `earlier stages: ${names.join(', ')}` : 'the teacher stage must come before this one'),
  }];
}

/**
 * The models a distillation trains and queries. Without hidden pairs: the student and the teacher
 * themselves. With them: the same layers with extra outputs: the teacher's named layers, and the
 * student's (through a learned linear projection, without bias, where widths differ). The
 * projections are layers of the training model only, so epoch checkpoints keep them but the
 * exported student does not.
 */
function hiddenTaps(teacher: Teacher, student: tf.LayersModel, pairs: NonNullable<DistillParams['hidden']>, seed: number): { teacher: (xs: tf.Tensor) => tf.Tensor[]; student: tf.LayersModel } {
  if (pairs.length === 0) return { teacher: (xs) => [teacher.predict(xs)], student };
  if (!teacher.layers) throw new UsageError('distill.hidden needs a LayersModel teacher: a graph-model teacher has no layers to match');
  const teacherModel = teacher.layers;
  const layer = (model: tf.LayersModel, role: string, name: string) => {
    const names = model.layers.map((l) => l.name);
    if (!names.includes(name)) {
      const hint = didYouMean(name, names) ?? `its layers: ${names.join(', ')}`;
      throw new UsageError(`distill.hidden: the ${role} has no layer "${name}" (${hint})`);
    }
    return model.getLayer(name).output as tf.SymbolicTensor;
  };
  const teacherOutputs = pairs.map((h) => layer(teacherModel, 'teacher', h.teacher));
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
  const tapped = tf.model({ inputs: teacherModel.inputs, outputs: [teacherModel.outputs[0]!, ...teacherOutputs] });
  const shape = teacherModel.inputs[0]!.shape.slice(1);
  return {
    teacher: (xs) => [tapped.predict(reshapedFor(xs, shape, 'teacher')) as tf.Tensor | tf.Tensor[]].flat(),
    student: tf.model({ inputs: student.inputs, outputs: [student.outputs[0]!, ...studentOutputs] }),
  };
}
