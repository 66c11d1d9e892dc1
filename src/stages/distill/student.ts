// The student of a distillation: a model spec (built or loaded), the current model, or the
// teacher itself with only some of its blocks (DistilBERT's initialisation: every other layer of
// the teacher, its weights copied).
import { dropLayers } from '../../compress/depgraph/drop-model.js';
import { blockNames } from '../../compress/depgraph/drop-layers.js';
import { UsageError } from '../../errors.js';
import { modelSpecProblems, viewOfSpec } from '../../model/architecture.js';
import { buildBuiltinModel } from '../../model/builtin.js';
import type { OutputOptions } from '../../model/outputs.js';
import { MODEL_SCHEMA } from '../../recipe/schema.js';
import type { DistillStage, ModelSpec, StageSpec } from '../../recipe/types.js';
import type { JsonSchema, ModelState, ModelView, StageCheckProblem, StageContext } from '../types.js';
import { teacherStage } from './teacher.js';
import type { Teacher } from './teacher.js';

/** The `student` field: a model spec, or `{ from: teacher, keepLayers }`. */
export type StudentSpec = NonNullable<DistillStage['student']>;
/** A student made from the teacher's blocks. */
export type FromTeacher = Extract<StudentSpec, { from: 'teacher' }>;

/** Schema of `student`. */
export const STUDENT_SCHEMA: JsonSchema = {
  description: 'Student model: a builtin or a model.json path (path: a LayersModel), or { from: teacher, keepLayers } '
    + '(the teacher with only those blocks, initialised from its weights); default: the current model.',
  oneOf: [
    { ...MODEL_SCHEMA, description: 'A builtin or a model.json path (a LayersModel).' },
    {
      type: 'object',
      description: 'The teacher (a LayersModel with blocks, such as the bert builtin) keeping only some blocks, with their weights (DistilBERT\'s initialisation).',
      properties: {
        from: { enum: ['teacher'], description: 'The student starts as a copy of the teacher.' },
        keepLayers: {
          type: 'array', minItems: 1, maxItems: 64, items: { type: 'integer', minimum: 0, maximum: 63 },
          description: 'Indices (from 0, in model order) of the teacher\'s blocks the student keeps (bert: 0 is block1); the others are dropped.',
        },
      },
      required: ['from', 'keepLayers'],
      additionalProperties: false,
    },
  ],
};

/** True for `{ from: teacher, … }`. */
export function isFromTeacher(spec: StudentSpec | undefined): spec is FromTeacher {
  return spec !== undefined && 'from' in spec;
}

/** The model file a student spec reads, if any. */
export function studentPath(spec: StudentSpec | undefined): string | undefined {
  return spec && !isFromTeacher(spec) ? spec.path : undefined;
}

/** The student as known before running: its spec's view; a teacher-made student is functional. */
export function studentView(spec: StudentSpec | undefined): ModelView | undefined {
  if (!spec) return undefined;
  return isFromTeacher(spec) ? { topology: 'functional' } : viewOfSpec(spec as ModelSpec);
}

/** A model spec names exactly one of builtin and path; kept blocks are distinct. */
export function studentProblems(spec: StudentSpec | undefined): StageCheckProblem[] {
  if (!spec || typeof spec !== 'object') return [];
  if (isFromTeacher(spec)) {
    const twice = spec.keepLayers.findIndex((b, i) => spec.keepLayers.indexOf(b) !== i);
    return twice < 0 ? [] : [{ path: ['student', 'keepLayers', twice], message: `block ${spec.keepLayers[twice]} is listed twice` }];
  }
  return modelSpecProblems(spec as ModelSpec, 'a student').map((m) => ({ ...m, path: ['student', ...m.path], keyword: 'model' }));
}

/** The teacher's blocks (bert: block1, block2, …) minus those kept: what a teacher-made student drops. */
export function droppedBlocks(blocks: readonly string[], keep: readonly number[]): string[] {
  const beyond = keep.find((k) => k >= blocks.length);
  if (beyond !== undefined) {
    throw new UsageError(`distill.student.keepLayers: the teacher has ${blocks.length} block${blocks.length === 1 ? '' : 's'} (${blocks.join(', ') || 'none'}); there is no block ${beyond}`, {
      hint: blocks.length ? `indices 0 … ${blocks.length - 1}` : 'keepLayers needs a teacher made of named blocks, such as the bert builtin',
    });
  }
  return blocks.filter((_, i) => !keep.includes(i));
}

/** The student: built from its builtin spec, loaded from its path, made from the teacher, or (no `student`) the current model with its masks. */
export async function loadStudent(ctx: StageContext<{ student?: StudentSpec }>, teacher: Teacher): Promise<ModelState> {
  const spec = ctx.params.student;
  if (!spec) return ctx.weightsChanged(ctx.input);
  if (isFromTeacher(spec)) {
    if (!teacher.layers) throw new UsageError('distill.student.from: teacher needs a LayersModel teacher: a graph-model teacher has no blocks to copy');
    const blocks = blockNames(teacher.layers.layers.map((l) => ({ name: l.name, className: l.getClassName(), inbound: [] })));
    const { model } = await dropLayers(teacher.layers, droppedBlocks(blocks, spec.keepLayers));
    return ctx.freshState(model);
  }
  if (spec.path !== undefined) return ctx.freshState(await ctx.loadModelPath(spec.path));
  return ctx.freshState(buildBuiltinModel(spec as ModelSpec, ctx.data.inputShape, ctx.data.numClasses, ctx.seed, ctx.data.vocabSize, ctx.recipe?.task));
}

/** What the recipe declares about the student's outputs: its spec's, or a teacher-made student's teacher's. */
export function studentOutputs(ctx: StageContext<{ student?: StudentSpec; teacher: DistillStage['teacher'] }>): OutputOptions {
  const spec = ctx.params.student;
  if (!spec) return ctx.outputsOf();
  const task = ctx.recipe?.task;
  if (isFromTeacher(spec)) {
    const stage = teacherStage(ctx.params.teacher);
    if (stage !== undefined) return ctx.outputsOf(stage);
    const declared = typeof ctx.params.teacher === 'string' ? undefined : ctx.params.teacher.outputs;
    return { ...(declared ? { outputs: declared } : {}), task };
  }
  return { ...(spec.outputs ? { outputs: spec.outputs } : {}), task };
}

/**
 * After a trim-vocabulary stage the data holds the trimmed token ids: a new student (built for,
 * or loaded with, other ids) or a teacher from before the trim would read them wrong.
 */
export function trimmedVocabularyProblems(p: { student?: StudentSpec; teacher: DistillStage['teacher'] }, earlier: readonly StageSpec[]): StageCheckProblem[] {
  const trim = earlier.map((s) => s.type).lastIndexOf('trim-vocabulary');
  if (trim < 0) return [];
  const problems: StageCheckProblem[] = [];
  const hint = `distill before stage "${earlier[trim]!.name}" (trim-vocabulary), or distill into the current model from a teacher made after it`;
  if (p.student) problems.push({ path: ['student'], message: `a new student cannot follow trim-vocabulary stage "${earlier[trim]!.name}": the data now holds its token ids`, hint });
  const teacher = teacherStage(p.teacher);
  const at = earlier.findIndex((s) => s.name === teacher);
  if (teacher !== undefined && at >= 0 && at < trim) problems.push({ path: ['teacher'], message: `teacher stage:${teacher} comes before trim-vocabulary stage "${earlier[trim]!.name}": it reads the old token ids`, hint });
  return problems;
}
