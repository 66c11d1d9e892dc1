import * as tf from '@tensorflow/tfjs';
import { layersModelOf } from '../../model/kind.js';
import { logitDistillationLoss, pairedLoss } from '../../compress/distill.js';
import { classLogits, describeOutputs, outputLoss } from '../../model/outputs.js';
import type { ModelOutputs } from '../../model/outputs.js';
import { applyMasks } from '../../model/weights.js';
import type { DistillStage, StageParams } from '../../recipe/types.js';
import { didYouMean } from '../../util/suggest.js';
import { adaptAfterStage } from '../train/bn-adaptation.js';
import { augmentProblems, trainWith, trainingMetrics, trainingProperties } from '../train/train.js';
import type { JsonSchema, StageCheckContext, StageCheckProblem, StageContext, StageDefinition, StageResult } from '../types.js';
import { ATTENTION_SCHEMA, HIDDEN_SCHEMA, MAPPING_SCHEMA, resolveMatches } from './pairs.js';
import type { PairFields } from './pairs.js';
import { buildTaps } from './taps.js';
import { teacherCacheFor, teacherCacheKey } from './teacher-cache.js';
import type { TeacherOutputCache } from './teacher-cache.js';
import { loadTeacher, teacherPath, teacherStage } from './teacher.js';
import type { Teacher } from './teacher.js';
import { loadStudent, STUDENT_SCHEMA, studentOutputs as declaredStudentOutputs, studentPath, studentProblems, studentView, trimmedVocabularyProblems } from './student.js';

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
    attention: ATTENTION_SCHEMA,
    mapping: MAPPING_SCHEMA,
    teacherCache: {
      type: 'boolean',
      description: 'Keep the teacher\'s outputs (and tapped layers) per training example after the first epoch, so later epochs do not run '
        + 'the teacher (default true; skipped when they would pass 1 GiB, and off with augment, whose inputs change every epoch). Keyed by the teacher\'s weights, the data and the taps.',
    },
    ...trainingProperties,
  },
  required: ['teacher'],
  references: (p) => { const stage = teacherStage(p.teacher); return stage !== undefined ? [stage] : []; },
  modelFiles: (p) => [teacherPath(p.teacher), studentPath(p.student)].filter((f): f is string => f !== undefined),
  replacesModel: (p) => studentView(p.student),
  check: (p, context) => [...augmentProblems(p, context), ...teacherProblems(p, context), ...studentProblems(p.student), ...trimmedVocabularyProblems(p, context.earlier)],
  async run(ctx): Promise<StageResult> {
    const p = ctx.params;
    const teacher = await loadTeacher(ctx);
    teachers.set(ctx, teacher);
    const student = await loadStudent(ctx, teacher);
    const studentModel = layersModelOf(student.model, ctx.name);
    const studentOptions = declaredStudentOutputs(ctx);
    const studentOutputs = describeOutputs(studentModel, studentOptions);
    const matches = resolveMatches(p as PairFields, teacher.layers, studentModel);
    const taps = buildTaps(teacher, studentModel, matches, ctx.seed);
    // Jittered inputs differ every epoch: the teacher labels each one as it is seen.
    const cache = p.teacherCache === false || p.augment?.shift ? undefined
      : teacherCacheFor(teacherCacheKey(teacher.fingerprint(), ctx.data.fingerprint, taps.teacherLayers), ctx.data.train.count);
    const callsBefore = cache?.teacherCalls ?? 0;
    let teacherBatches = 0;
    const teacherOutputs = (xs: tf.Tensor, rows: Int32Array): tf.Tensor[] => {
      if (cache) return cache.outputs(rows, () => taps.teacher(xs));
      teacherBatches++;
      return taps.teacher(xs);
    };
    const history = await trainWith({ ...ctx, input: student }, {
      masks: student.masks,
      outputs: studentOptions,
      loss: (xs, ys, out, studentTapped, rows) => {
        const [teacherOut, ...teacherTapped] = teacherOutputs(xs, rows);
        let loss = softTargetLoss(teacher.outputs, teacherOut!, studentOutputs, out, ys, p.temperature, p.alpha);
        if (matches.length > 0) {
          const targets = taps.targets(teacherTapped);
          const matched = pairedLoss(studentTapped, targets, matches);
          loss = tf.tidy(() => tf.add(loss, matched)) as tf.Scalar;
          tf.dispose(targets);
        }
        tf.dispose([teacherOut!, ...teacherTapped]);
        return loss;
      },
      afterStep: () => applyMasks(student.model, student.masks),
    }, taps.student);
    const adapted = adaptAfterStage(studentModel, ctx.data, p);
    teacherBatches += teacherCallsSince(cache, callsBefore);
    return { state: student, metrics: { ...trainingMetrics(history), ...adapted, teacherBatches }, history };
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

/** Teacher batches a cache ran since it counted `before`. */
function teacherCallsSince(cache: TeacherOutputCache | undefined, before: number): number {
  return cache ? cache.teacherCalls - before : 0;
}
