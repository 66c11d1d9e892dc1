// Helpers for the loaders' tests (not part of the build): files in a fresh directory, and the
// message of the usage error a loader throws.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { UsageError } from '../errors.js';

/** Writes each `files` entry (path relative to a fresh directory) and returns the directory. */
export function filesIn(files: Record<string, Uint8Array | string>, prefix = 'condense-data-'): string {
  const dir = tempDir(prefix);
  for (const [path, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  return dir;
}

/** The message of the UsageError `fn` throws; fails the test when it throws nothing or something else. */
export function usageFailure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}
