import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT, UsageError } from '../errors.js';
import { compareReports, describeDifference } from '../reproduce/compare.js';
import { changedSources, readRunLock, recipeDirOf } from '../reproduce/lock.js';
import { runRecipe } from '../runner/run.js';
import type { BackendRequest } from '../backend/names.js';
import type { Report } from '../types/records.js';
import { createRenderer } from './progress.js';
import { loadForCommand } from './shared.js';

interface ReproduceFlags {
  out?: string;
  tolerance?: string;
  force?: boolean;
  json?: boolean;
}

/** Default relative tolerance when the backend build differs from the original run's. */
const DEFAULT_TOLERANCE = 0.01;

/** `RUN_DIR-reproduce`, or `-2`, `-3`... the first that does not exist. */
function freshOut(runDir: string): string {
  for (let n = 1; ; n++) {
    const dir = `${runDir.replace(/\/+$/, '')}-reproduce${n === 1 ? '' : `-${n}`}`;
    if (!existsSync(dir)) return dir;
  }
}

function parseTolerance(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`--tolerance ${text}: expected a number ≥ 0 (a relative difference, e.g. 0.01 for 1%)`);
  return value;
}

/**
 * `condense reproduce RUN_DIR`: reruns a run from its recipe.resolved.yaml and run.lock.json into a
 * fresh directory, every stage recomputed (no checkpoint and no shared cache is read), then
 * compares every stage's metrics with the original's: exactly on the same backend build, within
 * `--tolerance` (relative) otherwise. Exit 0 when all match, 4 naming each that differs.
 */
export async function reproduceCommand(runDir: string, flags: ReproduceFlags): Promise<void> {
  const lock = readRunLock(runDir);
  const changes = changedSources(runDir, lock);
  if (changes.length && !flags.force) {
    throw new UsageError(`cannot reproduce ${runDir}: the recipe's sources changed since the run: ${changes.join('; ')}`,
      { hint: 'restore them (git checkout, the same preset package version), or pass --force to rerun recipe.resolved.yaml as recorded anyway' });
  }
  const out = resolve(flags.out ?? freshOut(runDir));
  if (existsSync(out) && readdirSync(out).length) throw new UsageError(`--out ${out} is not empty`, { hint: 'reproduce into a new directory: every stage must be recomputed' });
  const loaded = await loadForCommand(join(runDir, 'recipe.resolved.yaml'));
  if (loaded.hash !== lock.recipeHash && !flags.force) {
    throw new UsageError(`cannot reproduce ${runDir}: recipe.resolved.yaml does not match run.lock.json's recipeHash`, { hint: 'the run directory was edited; --force reruns the resolved recipe as it is now' });
  }
  // Relative paths (data files, model.path) resolve where the original recipe was, and the new lock records its sources.
  Object.assign(loaded, { dir: recipeDirOf(runDir, lock), file: resolve(runDir, lock.recipe.path), files: lock.sources, overrides: lock.recipe.set });
  const renderer = createRenderer(flags.json ? 'json' : 'plain', flags.json ? undefined : (line) => process.stderr.write(line + '\n'));
  const summary = await runRecipe(loaded, { registry: loaded.registry, out, backend: lock.backend.name as BackendRequest, onEvent: (e) => renderer.handle(e) });
  await renderer.finish();
  const original = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as Report;
  const lockNow = readRunLock(out);
  const sameBuild = lockNow.backend.build === lock.backend.build;
  const tolerance = sameBuild ? 0 : (parseTolerance(flags.tolerance) ?? DEFAULT_TOLERANCE);
  const differences = compareReports(original, summary.report, tolerance);
  const how = sameBuild ? 'exactly (same backend build)' : `within ${tolerance} relative (backend build differs: ${lock.backend.build} → ${lockNow.backend.build})`;
  if (flags.json) {
    process.stdout.write(JSON.stringify({ event: 'reproduce', out, sameBuild, tolerance, reproduced: differences.length === 0, differences }) + '\n');
  } else if (differences.length) {
    process.stdout.write(`not reproduced: ${differences.length} metric(s) differ (compared ${how}); rerun in ${out}\n${differences.map((d) => `  ${describeDifference(d)}`).join('\n')}\n`);
  } else {
    process.stdout.write(`reproduced: every stage's metrics match ${how}; rerun in ${out}\n`);
  }
  process.exitCode = differences.length ? EXIT.notReproduced : EXIT.ok;
}
