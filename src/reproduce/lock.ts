import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { RecipeFile } from '../recipe/load.js';
import { sha256 } from '../util/hash.js';

/** The parts of run.lock.json (schemas/lock.schema.json) reproducing a run reads. */
export interface RunLockFile {
  lockVersion: number;
  name: string;
  recipeHash: string;
  recipe: { path: string; set: string[] };
  sources: RecipeFile[];
  seed: number;
  backend: { name: string; version: string; build: string };
  stages: Array<{ name: string; fingerprint: string }>;
}

/** Reads a run directory's run.lock.json; a missing, unreadable or unknown-version lock is a UsageError. */
export function readRunLock(runDir: string): RunLockFile {
  const file = join(runDir, 'run.lock.json');
  if (!existsSync(file)) throw new UsageError(`${runDir} has no run.lock.json`, { hint: 'reproduce a finished run: its directory holds run.lock.json and recipe.resolved.yaml' });
  let lock: RunLockFile;
  try {
    lock = JSON.parse(readFileSync(file, 'utf8')) as RunLockFile;
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON (${(err as Error).message})`);
  }
  if (lock.lockVersion !== 1) {
    throw new UsageError(`${file} has lockVersion ${String(lock.lockVersion ?? 'none')}; this condense reads version 1`, { hint: 'a run of an older condense has no lockVersion: rerun it with this condense' });
  }
  return lock;
}

/** The directory the run's recipe was in (its sources' paths are relative to it). */
export function recipeDirOf(runDir: string, lock: RunLockFile): string {
  return dirname(resolve(runDir, lock.recipe.path));
}

/** Each source of the lock that is missing or whose sha256 changed since the run, as a sentence. */
export function changedSources(runDir: string, lock: RunLockFile): string[] {
  const dir = recipeDirOf(runDir, lock);
  const changes: string[] = [];
  for (const source of lock.sources) {
    const file = resolve(dir, source.path);
    const label = source.package ? `${source.path} (${source.package.name}@${source.package.version})` : source.path;
    if (!existsSync(file)) {
      changes.push(`${label} is missing`);
      continue;
    }
    const now = sha256(readFileSync(file));
    if (now !== source.sha256) changes.push(`${label} changed (sha256 ${source.sha256.slice(0, 12)}… → ${now.slice(0, 12)}…)`);
  }
  return changes;
}
