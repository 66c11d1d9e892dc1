import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types.js';
import type { FitSnapshot } from '../model/fit.js';
import type { QuantizationSpec } from '../compress/quantize.js';
import type { Recipe, StageSpec } from '../recipe/types.js';

/** A JSON Schema fragment (draft-07), kept loose on purpose: ajv checks the real thing. */
export type JsonSchema = Record<string, unknown>;

/** Everything a stage hands to the next one: the model and what compression decided about it. */
export interface ModelState {
  model: tf.LayersModel;
  /** Pruning masks (1 keep, 0 pruned) by weight key `layer/weight`; fixed through later training. */
  masks: Map<string, Float32Array>;
  /** Per-weight quantization chosen by a quantize stage, applied when the model is exported. */
  quantization: Map<string, QuantizationSpec>;
}

/** Metric values by key (RECIPE.md: accuracy, loss, params, nonzeroParams, sparsity, ...). */
export type Metrics = Record<string, number>;

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
  /** Loads a TF.js LayersModel from a path relative to the recipe. */
  loadModelPath(path: string): Promise<tf.LayersModel>;
  progress(update: StageProgress): void;
  /** A mid-stage snapshot to continue from (`condense run --resume`), or undefined. */
  resume?: StageSnapshot;
  /** Hands a mid-stage snapshot to the runner, which writes it as an atomic epoch checkpoint. */
  saveSnapshot(snapshot: StageSnapshot): Promise<void>;
  /** Aborted on SIGINT/SIGTERM; training loops check it between batches. */
  signal: AbortSignal;
}

/** A training stage's state at an epoch boundary: the loop's snapshot plus its masks. */
export interface StageSnapshot extends FitSnapshot {
  masks: Map<string, Float32Array>;
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
}

/** A stage type: its schema fragment and its implementation. Register it in stages/builtin.ts. */
export interface StageDefinition<P = Record<string, unknown>> {
  type: string;
  /** One line shown in the schema and docs. */
  description: string;
  /** Schema of the stage's own fields (`name` and `type` are added by the registry). */
  properties: Record<string, JsonSchema>;
  required?: string[];
  /**
   * False for stages that only measure or export the model (evaluate, export): the runner then
   * reuses the previous stage's accuracy, parameter and size metrics. Default true.
   */
  changesModel?: boolean;
  /**
   * Checks across fields that the schema cannot express, run when the recipe is loaded; each
   * problem is reported located at its path inside the stage (empty path: the stage itself).
   */
  check?(params: P): StageCheckProblem[];
  /** Names of earlier stages this stage reads besides its input (fingerprinted). */
  references?(params: P): string[];
  run(ctx: StageContext<P>): Promise<StageResult>;
}

/** A problem {@link StageDefinition.check} found, at a path inside the stage's mapping. */
export interface StageCheckProblem {
  path: Array<string | number>;
  message: string;
  hint?: string;
}

/** A stage of the recipe with its definition. */
export interface BoundStage {
  spec: StageSpec;
  definition: StageDefinition;
}
