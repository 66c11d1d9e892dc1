import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types.js';
import type { FitSnapshot } from '../model/fit.js';
import type { OutputOptions } from '../model/outputs.js';
import type { LoadedGraphModel } from '../model/graph/load.js';
import type { ModelSpec, Recipe, StageSpec } from '../recipe/types.js';
import type { ModelState, StateCodec, StateParts, TrainingConstraint } from '../types/model-state.js';
import type { BrowserResult, Metrics, SensitivityResult, StageRecord } from '../types/records.js';

export type { ModelState, StateCodec, StateParts, TrainingConstraint } from '../types/model-state.js';
export type { Metrics } from '../types/records.js';

/** A JSON Schema fragment (draft-07), kept loose on purpose: ajv checks the real thing. */
export type JsonSchema = Record<string, unknown>;

/** Progress a stage reports while it works; the runner renders it. */
export interface StageProgress {
  epoch: number;
  epochs: number;
  /** Batches done in this epoch and their total. */
  step?: number;
  steps?: number;
  loss?: number;
  accuracy?: number;
  /** Sparsity currently enforced, for gradual pruning. */
  sparsity?: number;
}

/** What the runner gives a stage. A stage never writes files: it returns its result. */
export interface StageContext<P> {
  /** The stage's name in the recipe. */
  name: string;
  /** The stage's resolved, validated fields (defaults applied). */
  params: P;
  /** Seed for this stage, derived from the recipe seed and the stage name. */
  seed: number;
  recipe: Recipe;
  /** The model the previous stage produced; the runner disposes it if the stage returns another. */
  input: ModelState;
  data: Dataset;
  /** Loads the model an earlier stage produced (e.g. a distillation teacher). */
  loadStageModel(stageName: string): Promise<ModelState>;
  /**
   * The record an earlier stage's checkpoint holds (its metrics, a sensitivity proposal), without
   * loading its model. The stage must be listed by {@link StageDefinition.references}.
   */
  stageRecord?(stageName: string): StageRecord;
  /**
   * What the recipe declares about a model's outputs (probabilities or logits, the task): of the
   * stage's input model, or with a stage name, of the model that stage handed on.
   */
  outputsOf(stage?: string): OutputOptions;
  /** A state for a model the stage built itself (a student): every registered kind empty. */
  freshState(model: tf.LayersModel): ModelState;
  /**
   * The state after the stage changed weight values (trained, pruned): kinds tied to the values
   * (quantization, ...) released, `changes` applied, everything else carried along.
   */
  weightsChanged(state: ModelState, changes?: Partial<ModelState>): ModelState;
  /**
   * What training must do to keep the state's kinds that training can keep (cluster ties), by
   * kind; a stage that applies them hands those kinds on. Absent: no kind constrains training.
   */
  trainingConstraints?(state: ModelState): Array<TrainingConstraint & { kind: string }>;
  /** Loads a TF.js LayersModel from a path relative to the recipe. */
  loadModelPath(path: string): Promise<tf.LayersModel>;
  /** Loads a TF.js GraphModel (inference only) from a path relative to the recipe. */
  loadGraphModelPath?(path: string): Promise<LoadedGraphModel>;
  progress(update: StageProgress): void;
  /** A mid-stage snapshot to continue from (`condense run --resume`), or undefined. */
  resume?: StageSnapshot;
  /** Hands a mid-stage snapshot to the runner, which writes it as an atomic epoch checkpoint. */
  saveSnapshot(snapshot: StageSnapshot): Promise<void>;
  /** Aborted on SIGINT/SIGTERM; training loops check it between batches. */
  signal: AbortSignal;
}

/** A training stage's state at an epoch boundary: the loop's snapshot plus the model state's parts. */
export interface StageSnapshot extends FitSnapshot {
  /** Every kind of model state the stage is working with (masks, quantization, ...), as it stood. */
  parts: StateParts;
  /** Stage-specific scalars to restore (e.g. the sparsity a gradual prune had reached). */
  extra: Record<string, number>;
}

/** What a stage returns: the model it produced and the metrics it measured. */
export interface StageResult {
  state: ModelState;
  metrics: Metrics;
  /** Per-epoch scalars (loss, accuracy, sparsity) for curves. */
  history?: Array<Record<string, number>>;
  /** Extra files the runner stores in the stage's checkpoint, by relative path. */
  artifacts?: Map<string, Uint8Array>;
  /** What the stage measured in a browser (evaluate with `browser:`); kept in its record and the report. */
  browser?: BrowserResult;
  /** What a sensitivity stage measured and proposed; kept in its record (later stages read it) and the report. */
  sensitivity?: SensitivityResult;
}

/**
 * The model a stage receives, as far as it is known before anything runs: at load time only its
 * spec; once the runner has built the initial model, its layers too.
 */
export interface ModelView {
  /** The builtin spec or `path` it comes from; undefined when another stage produced it from a file. */
  spec?: ModelSpec;
  /** Sequential or functional, when known. */
  topology?: 'sequential' | 'functional';
  /** `graph` for a TF.js GraphModel (inference only: no training stage can take it); absent: a LayersModel or not yet known. */
  format?: 'graph';
  /** Its layers, when the model has been built; `inbound`: the layers feeding each one (a LayersModel's). */
  layers?: ReadonlyArray<{ name: string; className: string; inbound?: readonly string[] }>;
}

/** What {@link StageDefinition.check} may read besides the params: nothing here runs a model. */
export interface StageCheckContext {
  /** The model this stage receives. */
  model: Readonly<ModelView>;
  /** The stages before this one, resolved. */
  earlier: readonly StageSpec[];
  recipe: Readonly<Recipe>;
}

/** A stage type: its schema fragment and its implementation. Register it with one line in stages/builtin-list.ts. */
export interface StageDefinition<P = Record<string, unknown>> {
  type: string;
  /** One line shown in the schema and docs. */
  description: string;
  /**
   * The version of what the stage computes: it enters every fingerprint of the stage, so raise it
   * whenever a change to the stage's code would change its result for the same recipe.
   */
  version: number;
  /** Schema of the stage's own fields (`name` and `type` are added by the registry). */
  properties: Record<string, JsonSchema>;
  required?: string[];
  /**
   * False for stages that only measure or export the model (evaluate, export): the runner then
   * reuses the previous stage's accuracy, parameter and size metrics. Default true.
   */
  changesModel?: boolean;
  /**
   * Paths (inside the stage's mapping) of lists of layer selectors of the stage's input model:
   * each selector must match a layer, checked before anything runs.
   */
  selectors?: ReadonlyArray<readonly string[]>;
  /**
   * When the stage hands on another model than its input (a distillation student): that model as
   * known before running. Later stages' checks see it.
   */
  replacesModel?(params: P): ModelView | undefined;
  /**
   * Checks the schema cannot express, run when the recipe is loaded and again once the initial
   * model is built; each problem is located at its path inside the stage (empty path: the stage).
   */
  check?(params: P, context: StageCheckContext): StageCheckProblem[];
  /**
   * Whether the stage can take a GraphModel (a `model.path` in graph-model format, which cannot be
   * trained): `true`, or why not with these params. Absent: it cannot (it trains or rebuilds the
   * model). Checked before anything runs.
   */
  graphModels?(params: P): true | string;
  /** Names of earlier stages this stage reads besides its input (fingerprinted). */
  references?(params: P): string[];
  /**
   * Model files (model.json paths, relative to the recipe) the stage reads besides its input: the
   * content of each, and of the files beside it, enters the fingerprint, so replacing one reruns.
   */
  modelFiles?(params: P): string[];
  run(ctx: StageContext<P>): Promise<StageResult>;
  /**
   * Codecs of the kinds of model state this stage adds (clusters, a vocabulary, ...): registered
   * with the stage, so checkpoints and `--resume` keep those kinds. Several stages may share one.
   */
  stateCodecs?: readonly StateCodec[];
  /** Releases what `run` acquired (a teacher model, a server); runs after success and failure alike. */
  cleanup?(ctx: StageContext<P>): Promise<void> | void;
}

/** A problem {@link StageDefinition.check} found, at a path inside the stage's mapping. */
export interface StageCheckProblem {
  path: Array<string | number>;
  message: string;
  hint?: string;
  /** What kind of check found it (shown in brackets after the message); default `stage-check`. */
  keyword?: string;
  /** Locate the problem at the key of `path` rather than its value. */
  key?: boolean;
  /** `warning`: worth saying before anything runs, but the stage still runs. Default: an error. */
  severity?: 'warning';
}

/** A stage of the recipe with its definition. */
export interface BoundStage {
  spec: StageSpec;
  definition: StageDefinition;
}
