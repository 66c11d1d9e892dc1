// What can be known to be wrong before any stage runs, found the same way by `validate`, `plan`
// and the start of `run`: the model file loads and fits the data, every layer selector matches,
// every stage's model-dependent rule holds. Each problem is located in the recipe (the data's or
// the model's own file and line inside the message), and all are reported at once.
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types.js';
import { RecipeError, UsageError } from '../errors.js';
import type { RecipeProblem } from '../errors.js';
import { buildBuiltinModel } from '../model/builtin.js';
import { loadModelFor } from '../model/io.js';
import { pointAt } from '../recipe/load.js';
import type { LoadedRecipe } from '../recipe/load.js';
import type { StageRegistry } from '../stages/registry.js';
import type { ModelView } from '../stages/types.js';
import { stageProblems } from '../stages/walk.js';
import { freshState } from '../state/codecs.js';
import type { ModelState } from '../types/model-state.js';

/** A usage error (a data or model file the user gave) as a problem located at `path` of the recipe. */
export function locatedProblem(loaded: LoadedRecipe, path: Array<string | number>, err: UsageError, keyword: string): RecipeProblem {
  const { frame, ...pos } = pointAt(loaded, path);
  return { ...pos, path: '/' + path.join('/'), message: err.message, keyword, ...(err.hint ? { hint: err.hint } : {}), frame };
}

/**
 * The model before the first stage (built from its builtin spec, or loaded from `model.path` and
 * checked against the data), after every check that needs it passed; a RecipeError listing every
 * problem otherwise (the model is disposed then).
 */
export async function openInitialModel(loaded: LoadedRecipe, registry: StageRegistry, data: Dataset, modelPath: string | undefined): Promise<ModelState> {
  const { recipe } = loaded;
  let model: tf.LayersModel;
  try {
    model = modelPath
      ? await loadModelFor(modelPath, data, { task: recipe.task })
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
function modelProblems(loaded: LoadedRecipe, registry: StageRegistry, model: tf.LayersModel): RecipeProblem[] {
  const view: ModelView = {
    spec: loaded.recipe.model,
    topology: model.getClassName() === 'Sequential' ? 'sequential' : 'functional',
    layers: model.layers.map((l) => ({ name: l.name, className: l.getClassName() })),
  };
  return stageProblems(loaded.recipe, registry, view).map((p) => {
    const { frame, ...pos } = pointAt(loaded, p.path, { key: p.key });
    return { ...pos, path: '/' + p.path.join('/'), message: p.message, keyword: p.keyword, ...(p.hint ? { hint: p.hint } : {}), frame };
  });
}
