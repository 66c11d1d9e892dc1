import type { BackendRequest } from '../backend/names.js';
import { openInitialModel } from '../runner/preflight.js';
import { prepareRun } from '../runner/run.js';
import { commandCache } from '../store/cache-dir.js';
import { loadForCommand } from './shared.js';

/** `condense plan`: which stages are cached and which would run, and why. */
export async function planCommand(file: string, flags: { out?: string; set: string[]; backend?: BackendRequest; resume?: boolean; cache?: string | boolean; json?: boolean }): Promise<void> {
  const loaded = await loadForCommand(file, flags.set);
  const run = await prepareRun(loaded, { registry: loaded.registry, out: flags.out, backend: flags.backend, resume: flags.resume, cache: commandCache(flags.cache) });
  // What the start of the run would refuse (the model, its fit to the data, selectors), refused now.
  (await openInitialModel(loaded, run.registry, run.data, run.modelPath)).model.dispose();
  const { out, steps, backend, backendBuild } = run;
  if (flags.json) {
    process.stdout.write(JSON.stringify({ out, backend: backend.name, backendBuild, steps }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`plan for ${loaded.recipe.name} → ${out} (backend ${backend.name}; build ${backendBuild})\n`);
  for (const s of steps) {
    const what = s.action === 'cached' ? 'cached' : s.action === 'resume' ? 'will resume' : 'will run';
    process.stdout.write(`  ${String(s.index + 1).padStart(2)}. ${s.name.padEnd(16)} ${s.type.padEnd(9)} ${what.padEnd(9)} ${s.reason}\n`);
  }
}
