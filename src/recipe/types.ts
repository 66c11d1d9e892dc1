import type { BackendRequest } from '../backend/select.js';

/** A stage entry after resolution: `name` always set, other fields as its type's schema says. */
export interface StageSpec {
  name: string;
  type: string;
  [field: string]: unknown;
}

/** Where the data comes from (RECIPE.md `data`). */
export interface DataSpec {
  dataset: string;
  /** Fraction of examples held out for evaluation, drawn with the seed (default 0.2). */
  testFraction: number;
  /** Optional cap on the number of examples used (train + test). */
  limit?: number;
  [field: string]: unknown;
}

/** The model to compress: a builtin architecture or a TF.js LayersModel on disk. */
export interface ModelSpec {
  builtin?: 'mlp' | 'lenet5';
  /** Hidden layer sizes of `mlp` (default [300, 100]). */
  hidden?: number[];
  /** Path of a model.json, relative to the recipe. */
  path?: string;
}

/** A lower and/or upper bound on a final metric. */
export interface Gate {
  min?: number;
  max?: number;
}

/** A resolved, validated recipe (version 1). */
export interface Recipe {
  $schema?: string;
  version: 1;
  name: string;
  description?: string;
  extends?: string[];
  seed: number;
  backend: BackendRequest;
  vars?: Record<string, unknown>;
  data: DataSpec;
  model: ModelSpec;
  stages: StageSpec[];
  gates?: Record<string, Gate>;
}
