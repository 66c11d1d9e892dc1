// What can be known to be wrong before any stage runs, found the same way by `validate`, `plan`
// and the start of `run`: the model file loads and fits the data, every layer selector matches,
// every stage's model-dependent rule holds. Each problem is located in the recipe (the data's or
// the model's own file and line inside the message), and all are reported at once.
import { resolve, isAbsolute } from 'node:path';
import type { BackendRequest } from '../backend/names.js';
import { selectBackend } from '../backend/select.js';
import { loadDataset } from '../data/index.js';
import type { Dataset } from '../data/types.js';
import { RecipeError, UsageError, formatProblem } from '../errors.js';
import type { RecipeProblem } from '../errors.js';
import { buildBuiltinModel } from '../model/builtin.js';
import { loadAnyModelFor } from '../model/fits-data.js';
import { isGraphModel } from '../model/graph/editable.js';
import type { CondenseModel } from '../model/kind.js';
import { pointAt } from '../recipe/load.js';
import type { LoadedRecipe } from '../recipe/load.js';
import type { StageRegistry } from '../stages/registry.js';
import type { ModelView } from '../stages/types.js';
import { layerInbound } from '../compress/depgraph/describe.js';
import { stageProblems, stageWarnings } from '../stages/walk.js';
import type { StageProblem } from '../stages/walk.js';
import { freshState } from '../state/codecs.js';
import type { ModelState } from '../types/model-state.js';

/** A usage error (a data or model file the user gave) as a problem located at `path` of the recipe. */
export function locatedProblem(loaded: LoadedRecipe, path: Array<string | number>, err: UsageError, keyword: string): RecipeProblem {
  const { frame, ...pos } = pointAt(loaded, path);
  return { ...pos, path: '/' + path.join('/'), message: err.message, keyword, ...(err.hint ? { hint: err.hint } : {}), frame };
}

/**
 * The recipe's data, loaded; a data file the user gave that cannot be read or parsed is a problem
 * located at the recipe's `data` entry (the data file and its line are in the message).
 */
export function loadRecipeData(loaded: LoadedRecipe, registry: StageRegistry): Dataset {
  const { recipe } = loaded;
  try {
    return loadDataset(recipe.data, recipe.seed, loaded.dir, registry, recipe.task);
  } catch (err) {
    if (!(err instanceof UsageError) || err instanceof RecipeError) throw err;
    const at = ['path', 'x', 'images'].find((k) => typeof recipe.data[k] === 'string');
    throw new RecipeError([locatedProblem(loaded, at ? ['data', at] : ['data', 'dataset'], err, 'data')]);
  }
}

/**
 * Everything `condense validate` checks beyond the recipe itself: the backend loads, the data
 * loads, the model opens and fits it, and the stages' model-dependent rules hold. Throws a
 * RecipeError with every problem located; trains nothing, writes nothing.
 */
export async function preflight(loaded: LoadedRecipe, backend?: BackendRequest): Promise<void> {
  const { recipe, registry } = loaded;
  await selectBackend(backend ?? recipe.backend);
  const data = loadRecipeData(loaded, registry);
  const modelPath = recipe.model.path ? resolvePath(loaded.dir, recipe.model.path) : undefined;
  const state = await openInitialModel(loaded, registry, data, modelPath);
  state.model.dispose();
}

/**
 * The model before the first stage (built from its builtin spec, or loaded from `model.path` and
 * checked against the data), after every check that needs it passed; a RecipeError listing every
 * problem otherwise (the model is disposed then).
 */
export async function openInitialModel(loaded: LoadedRecipe, registry: StageRegistry, data: Dataset, modelPath: string | undefined): Promise<ModelState> {
  const { recipe } = loaded;
  let model: CondenseModel;
  try {
    model = modelPath
      ? await loadAnyModelFor(modelPath, data, { task: recipe.task })
      : buildBuiltinModel(recipe.model, data.inputShape, data.numClasses, recipe.seed, data.vocabSize, recipe.task);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new RecipeError([locatedProblem(loaded, modelPath ? ['model', 'path'] : ['model', 'builtin'], err, 'model')]);
  }
  const problems = modelProblems(loaded, registry, model);
  if (problems.length) {
    model.dispose();
    throw new RecipeError(problems);
  }
  return freshState(model, registry.stateCodecs());
}

/**
 * The stages' checks again, now that the initial model is built and its layers are known (layer
 * selectors, rules that depend on the topology), located in the recipe.
 */
function modelProblems(loaded: LoadedRecipe, registry: StageRegistry, model: CondenseModel): RecipeProblem[] {
  const inbound = isGraphModel(model) ? undefined : layerInbound(model);
  const layers = model.layers.map((l) => ({ name: l.name, className: l.getClassName(), ...(inbound ? { inbound: inbound.get(l.name) ?? [] } : {}) }));
  const view: ModelView = isGraphModel(model)
    ? { spec: loaded.recipe.model, format: 'graph', layers }
    : { spec: loaded.recipe.model, topology: model.getClassName() === 'Sequential' ? 'sequential' : 'functional', layers };
  const locate = (p: StageProblem): RecipeProblem => {
    const { frame, ...pos } = pointAt(loaded, p.path, { key: p.key });
    return { ...pos, path: '/' + p.path.join('/'), message: p.message, keyword: p.keyword, ...(p.hint ? { hint: p.hint } : {}), frame };
  };
  // Notes that do not stop the run (a layer structured pruning leaves whole), said before it starts.
  for (const w of stageWarnings(loaded.recipe, registry, view)) process.stderr.write(`warning: ${formatProblem(locate(w))}\n`);
  return stageProblems(loaded.recipe, registry, view).map(locate);
}

/** A path of the recipe, relative to the recipe's directory. */
export function resolvePath(dir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dir, path);
}
