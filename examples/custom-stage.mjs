// A custom stage from a program: the plugin module's stage registered beside the built-in ones.
// (`condense run examples/noise.yaml` does the same from the recipe's `plugins` list.)
// Run: node examples/custom-stage.mjs [RUN_DIR]   (after `npm install`)
import { builtinStages, loadRecipe, runRecipe } from 'condense';
import { noiseAccuracyStage } from './noise-stage.mjs';

const registry = builtinStages().register(noiseAccuracyStage);
// loadRecipe does not import `plugins` itself: the registry above already has the stage type.
const loaded = loadRecipe(new URL('./noise.yaml', import.meta.url).pathname, { registry });
const { report, exitCode } = await runRecipe(loaded, {
  registry,
  out: process.argv[2] ?? 'runs/noise-example',
  onEvent: (e) => e.event === 'stage-end' && console.log(`${e.name}: ${e.status}`),
});
const last = report.stages.at(-1).metrics;
console.log(`accuracy ${last.accuracy.toFixed(4)}, with noise σ=${loaded.recipe.stages.at(-1).sigma}: ${last.noisyAccuracy.toFixed(4)}`);
process.exitCode = exitCode;
