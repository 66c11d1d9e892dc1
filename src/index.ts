/**
 * condense's public API. The CLI is a thin shell over these functions; a program can load a
 * recipe, plan it, run it and read its report the same way.
 */
import { loadRecipe, loadRecipeWithPlugins } from './recipe/load.js';
import type { LoadOptions } from './recipe/load.js';
import type { PluginModule } from './recipe/plugins.js';
import type { Recipe } from './recipe/types.js';
import { prepareRun } from './runner/run.js';
import type { RunOptions } from './runner/run.js';
import type { PlanStep } from './runner/plan.js';
import type { StageDefinition } from './stages/types.js';
import type { DatasetDefinition } from './data/registry.js';

export { loadRecipe, loadRecipeWithPlugins, resolvedYaml } from './recipe/load.js';
export type { LoadedRecipe, LoadOptions, PluginLoadOptions } from './recipe/load.js';
export type { LoadedPlugin, PackageId, PluginModule } from './recipe/plugins.js';
export type { Recipe, StageSpec, DataSpec, ModelSpec, Gate } from './recipe/types.js';
export { buildRecipeSchema, RECIPE_SCHEMA_ID } from './recipe/schema.js';
export { runRecipe, prepareRun } from './runner/run.js';
export type { RunOptions } from './runner/run.js';
export type { RunSummary } from './runner/finish.js';
export type { RunEvent, GateResult } from './runner/events.js';
export { planStages } from './runner/plan.js';
export type { PlanStep } from './runner/plan.js';
export { StageRegistry } from './stages/registry.js';
export { builtinStages } from './stages/builtin.js';
export type {
  StageDefinition, StageContext, StageResult, StageCheckContext, StageCheckProblem, StageSnapshot, ModelView, ModelState, StateParts, StateCodec, Metrics,
} from './stages/types.js';
export { nextState, stateParts } from './state/codecs.js';
export { loadDataset, datasetFromArrays } from './data/index.js';
export type { Dataset, DatasetDefinition, DatasetContext, InMemoryData, LoadedData, Split } from './data/index.js';
export { featureRows } from './data/types.js';
export { buildBuiltinModel } from './model/builtin.js';
export { loadModelFromPath, fileSystemHandler, modelFiles } from './model/io.js';
export { selectBackend } from './backend/select.js';
export * from './errors.js';

/** Declares a custom stage with its parameter type inferred; register it on a StageRegistry. */
export function defineStage<P>(definition: StageDefinition<P>): StageDefinition<P> {
  return definition;
}

/** Declares a dataset type with its field types inferred; a plugin exports it in `datasets`. */
export function defineDataset<S>(definition: DatasetDefinition<S>): DatasetDefinition<S> {
  return definition;
}

/**
 * Declares a plugin module's export (`export default definePlugin({ stages: [...] })`), typed;
 * a recipe lists the module under `plugins`. See docs/plugins.md.
 */
export function definePlugin(plugin: PluginModule): PluginModule {
  return plugin;
}

/** The fully resolved recipe (extends, `--set`, vars and defaults applied), as `condense resolve` prints it. */
export function resolveRecipe(file: string, options: LoadOptions): Recipe {
  return loadRecipe(file, options).recipe;
}

/**
 * What `condense run` would do, stage by stage (`cached`, `run`, `resume`, with the reason),
 * as `condense plan` prints it. Loads the backend and the data to compute fingerprints.
 */
export async function planRun(file: string, options: LoadOptions & Pick<RunOptions, 'out' | 'backend' | 'resume'>): Promise<PlanStep[]> {
  const loaded = await loadRecipeWithPlugins(file, options);
  return (await prepareRun(loaded, { out: options.out, backend: options.backend, resume: options.resume })).steps;
}
