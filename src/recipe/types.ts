// The recipe types the code uses. They come from the schema (src/recipe/schema-types.generated.ts,
// written by scripts/gen-schema.mjs), so a schema change that the code does not follow fails to
// compile, and the generated file going stale fails `gen-schema.mjs --check` and the tests.
import type { BackendRequest } from '../backend/names.js';
import type { DataSpec as DataVariant, Recipe as GeneratedRecipe, Stage } from './schema-types.generated.js';

// Every generated type (each stage's, the data and model specs, ...): a new stage type's params
// are importable from here as soon as the schema is regenerated. `Recipe` and `DataSpec` below
// refine the generated ones and take precedence over them.
export type * from './schema-types.generated.js';

/**
 * A stage entry after resolution, seen by code that handles every type alike (the runner):
 * `name` always set, other fields as its type's schema says. Every generated {@link Stage} is one.
 */
export interface StageSpec {
  name: string;
  type: string;
  [field: string]: unknown;
}

/** The fields a stage's `run` gets: its generated stage type without `name` and `type`. */
export type StageParams<S extends Stage> = Omit<S, 'name' | 'type'>;

/**
 * Where the data comes from, as code that handles every dataset alike sees it: the fields all
 * datasets share, typed from the schema, and the others unchecked. Compare `dataset` to narrow
 * to a {@link DataVariant} ({@link MnistDataSpec}, {@link IdxDataSpec}).
 */
export type DataSpec = Omit<DataVariant, 'dataset'> & { dataset: string; [field: string]: unknown };
export type { DataVariant };

/**
 * A resolved, validated recipe (version 1): the generated type, with each stage also a
 * {@link StageSpec} (so runner code may read any field as `unknown`; `stage.type === 'prune'`
 * narrows it to a {@link PruneStage}) and `data` a {@link DataSpec}.
 */
export type Recipe = Omit<GeneratedRecipe, 'stages' | 'data'> & {
  stages: Array<Stage & StageSpec>;
  data: DataSpec;
};

// The schema's backend names and the backend module's must agree (both directions).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const backendsAgree: Same<Recipe['backend'], BackendRequest> = true;
void backendsAgree;
