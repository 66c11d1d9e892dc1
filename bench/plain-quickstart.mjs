// The quickstart's work without the runner: same data, model, stages and seed, called directly
// (no checkpoints, fingerprints, progress or reports). bench/runner-overhead.mjs times it against
// `condense run`. Usage: node bench/plain-quickstart.mjs [backend]
import { selectBackend } from '../dist/backend/select.js';
import { loadDataset } from '../dist/data/index.js';
import { buildBuiltinModel } from '../dist/model/builtin.js';
import { accuracyAndLoss } from '../dist/model/inspect.js';
import { loadRecipe } from '../dist/recipe/load.js';
import { builtinStages } from '../dist/stages/builtin.js';
import { freshState, trainingConstraints, weightsChanged } from '../dist/state/codecs.js';
import { deriveSeed } from '../dist/util/prng.js';

const registry = builtinStages();
const codecs = registry.stateCodecs();
const { recipe } = loadRecipe(new URL('../recipes/quickstart.yaml', import.meta.url).pathname, { registry });
await selectBackend(process.argv[2] ?? 'auto');
const data = loadDataset(recipe.data, recipe.seed, '.');
let state = freshState(buildBuiltinModel(recipe.model, data.inputShape, data.numClasses, recipe.seed), codecs);
for (const stage of recipe.stages) {
  // The browser evaluation the quickstart ends with is the runner's (a shared Chromium per run): not part of this comparison.
  const { name, type, browser: _browser, ...params } = stage;
  const result = await registry.get(type).run({
    name, params, seed: deriveSeed(recipe.seed, `stage:${name}`), recipe, input: state, data,
    loadStageModel: async () => { throw new Error('unused'); }, loadModelPath: async () => { throw new Error('unused'); },
    outputsOf: () => ({}), freshState: (model) => freshState(model, codecs),
    weightsChanged: (input, changes) => weightsChanged(input, codecs, changes), trainingConstraints: (input) => trainingConstraints(input, codecs),
    progress: () => {}, saveSnapshot: async () => {}, signal: new AbortController().signal,
  });
  state = result.state;
}
console.log(JSON.stringify(accuracyAndLoss(state.model, data.test, data)));
