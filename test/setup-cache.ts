import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

// Every test gets its own empty shared stage cache, inherited by the CLI processes it spawns, so
// tests never read each other's stages nor write into the user's cache (~/.cache/condense).
// Kept per test (not in one variable) so that concurrent tests each remove their own.
const dirs = new Map<string, string>();
// Decoded datasets (src/data/decoded-cache.ts) are keyed by what they were decoded from, so all
// tests may share them; kept out of the user's cache all the same.
process.env.CONDENSE_DATA_CACHE ??= join(tmpdir(), 'condense-test-datasets');
beforeEach((ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'condense-cache-'));
  dirs.set(ctx.task.id, dir);
  process.env.CONDENSE_CACHE = dir;
});
afterEach((ctx) => {
  const dir = dirs.get(ctx.task.id);
  if (dir) rmSync(dir, { recursive: true, force: true });
  dirs.delete(ctx.task.id);
});
