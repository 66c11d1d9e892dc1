import type { BackendRequest } from '../backend/names.js';
import { prepareRun } from '../runner/run.js';
import { builtinStages } from '../stages/builtin.js';
import { loadWithBuiltins } from './shared.js';

/** `condense plan`: which stages are cached and which would run, and why. */
export async function planCommand(file: string, flags: { out?: string; set: string[]; backend?: BackendRequest; resume?: boolean; json?: boolean }): Promise<void> {
  const loaded = loadWithBuiltins(file, flags.set);
  const { out, steps, backend } = await prepareRun(loaded, { registry: builtinStages(), out: flags.out, backend: flags.backend, resume: flags.resume });
  if (flags.json) {
    process.stdout.write(JSON.stringify({ out, backend: backend.name, steps }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`plan for ${loaded.recipe.name} → ${out} (backend ${backend.name})\n`);
  for (const s of steps) {
    const what = s.action === 'cached' ? 'cached' : s.action === 'resume' ? 'will resume' : 'will run';
    process.stdout.write(`  ${String(s.index + 1).padStart(2)}. ${s.name.padEnd(16)} ${s.type.padEnd(9)} ${what.padEnd(9)} ${s.reason}\n`);
  }
}
