// condense from a program: load a recipe with overrides, look at the plan, run it, read the report.
// Run: node examples/programmatic.mjs [RUN_DIR] [SPARSITY]   (after `npm install`)
import { builtinStages, loadRecipe, prepareRun, runRecipe } from 'condense';

const out = process.argv[2] ?? 'runs/programmatic-example';
const sparsity = process.argv[3] ?? '0.8';
const registry = builtinStages();
const recipe = new URL('../recipes/quickstart.yaml', import.meta.url).pathname;
// The same overrides `condense run --set` takes; here a quick variant of the quickstart.
const loaded = loadRecipe(recipe, {
  registry,
  set: [`vars.sparsity=${sparsity}`, 'data.limit=2000', 'stages.baseline.epochs=2', 'stages.prune.schedule.epochs=1', 'stages.finetune.epochs=1'],
});

const { steps } = await prepareRun(loaded, { registry, out });
for (const s of steps) console.log(`plan: ${s.name} ${s.action} (${s.reason})`);

const { report } = await runRecipe(loaded, {
  registry,
  out,
  onEvent: (e) => {
    if (e.event === 'stage-end') console.log(`${e.name}: ${e.status} in ${e.seconds.toFixed(1)} s, accuracy ${e.metrics.accuracy.toFixed(4)}`);
  },
});
const m = report.final.metrics;
console.log(`final: accuracy ${m.accuracy.toFixed(4)}, sparsity ${m.sparsity.toFixed(3)}, ${m.sizeBytes} bytes (${report.backend})`);
