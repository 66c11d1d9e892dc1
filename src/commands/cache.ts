import { UsageError } from '../errors.js';
import { commandCache } from '../store/cache-dir.js';
import type { StageCache } from '../store/cache.js';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30d`, `12h`, `90m`, `2w`, `45s` as milliseconds. */
export function parseAge(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (!match) throw new UsageError(`--older-than ${text}: expected a number and a unit (s, m, h, d, w)`, { hint: 'e.g. --older-than 30d' });
  return Number(match[1]) * UNITS[match[2]!]!;
}

function cacheOf(flags: { cache?: string | boolean }): StageCache {
  const cache = commandCache(flags.cache);
  if (!cache) throw new UsageError('no stage cache: --no-cache or CONDENSE_CACHE=off', { hint: 'give --cache DIR' });
  return cache;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** `condense cache ls`: every stage in the shared cache, least recently used first. */
export async function cacheListCommand(flags: { cache?: string | boolean; json?: boolean }): Promise<void> {
  const cache = cacheOf(flags);
  const entries = cache.list();
  if (flags.json) {
    process.stdout.write(JSON.stringify({ root: cache.root, entries }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`stage cache ${cache.root}: ${entries.length} stage(s), ${mb(entries.reduce((s, e) => s + e.bytes, 0))}\n`);
  for (const e of entries) {
    process.stdout.write(`  ${e.fingerprint.slice(0, 16)}  ${(e.stage ?? '?').padEnd(16)} ${(e.type ?? '?').padEnd(10)} ${mb(e.bytes).padStart(9)}  used ${new Date(e.used).toISOString()}\n`);
  }
}

/** `condense cache prune --older-than AGE`: removes stages no run used for AGE. */
export async function cachePruneCommand(flags: { cache?: string | boolean; olderThan: string; json?: boolean }): Promise<void> {
  const cache = cacheOf(flags);
  const removed = cache.prune(parseAge(flags.olderThan));
  if (flags.json) {
    process.stdout.write(JSON.stringify({ root: cache.root, removed }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`removed ${removed.length} stage(s) unused for ${flags.olderThan} (${mb(removed.reduce((s, e) => s + e.bytes, 0))}) from ${cache.root}\n`);
}
