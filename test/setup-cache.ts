import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

// Every test gets its own empty shared stage cache, inherited by the CLI processes it spawns, so
// tests never read each other's stages nor write into the user's cache (~/.cache/condense).
let dir: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'condense-cache-'));
  process.env.CONDENSE_CACHE = dir;
});
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
