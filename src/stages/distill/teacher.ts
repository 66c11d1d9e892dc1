import * as tf from '@tensorflow/tfjs';
import { isGraphModel } from '../../model/graph/editable.js';
import type { EditableGraphModel } from '../../model/graph/editable.js';
import { UsageError } from '../../errors.js';
import { describeOutputs } from '../../model/outputs.js';
import type { ModelOutputs, ScoreKind } from '../../model/outputs.js';
import { exampleShapeFor, formatShape } from '../../model/shapes.js';
import type { DistillStage } from '../../recipe/types.js';
import type { StageContext } from '../types.js';
import { modelFingerprint } from './teacher-cache.js';

/** The `teacher` field: `stage:<name>`, a model.json path, or `{ path, format, outputs }`. */
export type TeacherSpec = DistillStage['teacher'];

const STAGE_PREFIX = 'stage:';

/** The earlier stage a teacher names, or undefined for a file. */
export function teacherStage(spec: TeacherSpec): string | undefined {
  return typeof spec === 'string' && spec.startsWith(STAGE_PREFIX) ? spec.slice(STAGE_PREFIX.length) : undefined;
}

/** The model.json path of a teacher from a file, or undefined for a `stage:` teacher. */
export function teacherPath(spec: TeacherSpec): string | undefined {
  if (typeof spec !== 'string') return spec.path;
  return spec.startsWith(STAGE_PREFIX) ? undefined : spec;
}

/** A loaded teacher: a LayersModel (whose layers hidden pairs can tap) or an inference-only GraphModel. */
export interface Teacher {
  /** The LayersModel, when the teacher is one. */
  layers?: tf.LayersModel;
  outputs: ModelOutputs;
  /** Its output for a batch shaped for the student, reshaped to the teacher's input shape where they differ. */
  predict(xs: tf.Tensor): tf.Tensor;
  /** sha256 of its topology and weights (computed on first call): what keys its cached outputs. */
  fingerprint(): string;
  dispose(): void;
}

/** A fingerprint function computed once, on first use. */
function lazyFingerprint(compute: () => string): () => string {
  let value: string | undefined;
  return () => (value ??= compute());
}

const layersFingerprint = (model: tf.LayersModel) => lazyFingerprint(() =>
  modelFingerprint(model.toJSON(null, false), model.weights.map((w) => ({ name: w.originalName, values: w.read() }))));

const graphFingerprint = (model: EditableGraphModel) => lazyFingerprint(() =>
  modelFingerprint(model.json.modelTopology, model.weightTensors().map((w) => ({ name: w.name, values: w.tensor }))));

/** Loads the teacher a distill stage names; the caller disposes it. */
export async function loadTeacher(ctx: StageContext<{ teacher: TeacherSpec }>): Promise<Teacher> {
  const spec = ctx.params.teacher;
  const stage = teacherStage(spec);
  const override: ScoreKind | undefined = typeof spec === 'string' ? undefined : spec.outputs;
  if (typeof spec !== 'string' && spec.format === 'graph') {
    if (!ctx.loadGraphModelPath) throw new Error('internal error: this context cannot load graph models');
    const graph = await ctx.loadGraphModelPath(spec.path);
    const shape = (graph.model.inputs[0]?.shape ?? []).slice(1).map((d) => (d === -1 ? null : d));
    const units = graph.model.outputs[0]?.shape?.at(-1);
    const outputs: ModelOutputs = { kind: units === 1 ? 'binary' : 'classification', scores: override ?? graph.scores };
    return {
      outputs, predict: (xs) => graph.model.predict(reshapedFor(xs, shape, 'graph-model teacher')) as tf.Tensor,
      fingerprint: graphFingerprint(graph.model), dispose: () => graph.model.dispose(),
    };
  }
  const loaded = stage !== undefined ? (await ctx.loadStageModel(stage)).model : await ctx.loadModelPath(teacherPath(spec)!);
  const options = stage !== undefined ? ctx.outputsOf(stage) : { ...(override ? { outputs: override } : {}), task: ctx.recipe?.task };
  const shape = loaded.inputs[0]!.shape.slice(1);
  // An earlier stage's GraphModel (a compressed model.path) teaches for inference only, like a graph file.
  if (isGraphModel(loaded)) {
    return {
      outputs: describeOutputs(loaded, options), predict: (xs) => loaded.predict(reshapedFor(xs, shape, 'graph-model teacher')),
      fingerprint: graphFingerprint(loaded), dispose: () => loaded.dispose(),
    };
  }
  const model = loaded;
  return {
    layers: model, outputs: describeOutputs(model, options),
    predict: (xs) => model.predict(reshapedFor(xs, shape, 'teacher')) as tf.Tensor,
    fingerprint: layersFingerprint(model),
    dispose: () => model.dispose(),
  };
}

/** `xs` reshaped to a model input of `shape` (null: unknown) when its own example shape differs. */
export function reshapedFor(xs: tf.Tensor, shape: readonly (number | null)[], who: string): tf.Tensor {
  const own = xs.shape.slice(1);
  const want = exampleShapeFor(shape, own);
  if (!want) throw new UsageError(`the ${who} takes inputs of shape ${formatShape(shape)}, but the examples have shape ${formatShape(own)}`);
  return want.join() === own.join() ? xs : tf.reshape(xs, [xs.shape[0]!, ...want]);
}
