import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { StageCache } from './cache.js';

/**
 * The user's cache directory for condense: $XDG_CACHE_HOME/condense, else ~/Library/Caches/condense
 * on macOS, %LOCALAPPDATA%\condense on Windows, ~/.cache/condense elsewhere.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'condense');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'condense');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'condense');
  return join(homedir(), '.cache', 'condense');
}

/**
 * The shared stage cache a command uses: `--cache DIR`, else $CONDENSE_CACHE, else
 * {@link defaultCacheDir}; none with `--no-cache` (`flag` false) or CONDENSE_CACHE=off.
 */
export function commandCache(flag: string | boolean | undefined, env: NodeJS.ProcessEnv = process.env): StageCache | undefined {
  if (flag === false) return undefined;
  if (typeof flag === 'string') return new StageCache(resolve(flag));
  if (env.CONDENSE_CACHE === 'off') return undefined;
  return new StageCache(resolve(env.CONDENSE_CACHE || defaultCacheDir(env)));
}
