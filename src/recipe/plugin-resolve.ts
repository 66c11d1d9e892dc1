import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { inside } from './extends.js';

/** An installed package a plugin came from, as its package.json names it. */
export interface PackageId {
  name: string;
  version: string;
}

/** Where a `plugins` entry points: the real path of the module file, and its package if any. */
export interface PluginTarget {
  path: string;
  package?: PackageId;
}

/** A `plugins` entry that cannot be loaded; the caller locates it at the entry. */
export class PluginEntryError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** `scheme:` at the start (two letters at least, so `C:\` is not a scheme). */
const URL_SCHEME = /^([a-z][a-z0-9+.-]+):/i;
/** An npm package name, optionally scoped, and an optional subpath. */
const PACKAGE_SPEC = /^((?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*)(\/[^\\]+)?$/;
/** Conditions of a package's `exports` that Node's `import` matches (object key order decides). */
const IMPORT_CONDITIONS = new Set(['node', 'import', 'default']);

/**
 * Resolves a `plugins` entry written in `fromFile` (the recipe, or a recipe it extends):
 * `./x.mjs` and `../x.mjs` relative to that file and inside one of `roots`, or a package name
 * found the way Node finds it from that file's directory (node_modules upward), through the
 * package's `exports` for `import` (else `main`). URLs and absolute paths are refused.
 */
export function resolvePluginEntry(spec: string, fromFile: string, roots: readonly string[]): PluginTarget {
  const scheme = URL_SCHEME.exec(spec)?.[1];
  if (scheme) {
    throw new PluginEntryError(`plugin "${spec}" is a URL (${scheme}:); plugins load only from files in the recipe's directory or from installed packages`,
      'save the module next to the recipe and list it as ./name.mjs, or install it as a package');
  }
  if (spec.startsWith('./') || spec.startsWith('../')) return { path: resolveFile(spec, fromFile, roots) };
  const pkg = PACKAGE_SPEC.exec(spec);
  if (pkg) return resolvePackage(pkg[1]!, pkg[2] ? `.${pkg[2]}` : '.', fromFile);
  throw new PluginEntryError(`plugin "${spec}" is neither a relative path nor a package name`,
    'write a path starting with ./ or ../ (relative to the file that lists it), or the name of an installed package');
}

function resolveFile(spec: string, fromFile: string, roots: readonly string[]): string {
  const absolute = resolve(dirname(realpathSync(fromFile)), spec);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) {
    throw new PluginEntryError(`plugin file not found: ${shown(absolute)}`, `paths are relative to the file that lists them (${fromFile})`);
  }
  const real = realpathSync(absolute);
  if (!roots.some((root) => inside(root, real))) {
    throw new PluginEntryError(`plugin "${spec}" resolves outside the recipe's directory (${real})`,
      'a plugin file must sit in the directory of the recipe being run (or below it); install shared plugins as packages');
  }
  return real;
}

function resolvePackage(name: string, subpath: string, fromFile: string): PluginTarget {
  const lookup = createRequire(resolve(fromFile)).resolve.paths(name) ?? [];
  const root = lookup.map((dir) => join(dir, name)).find((dir) => existsSync(join(dir, 'package.json')));
  if (!root) {
    throw new PluginEntryError(`plugin package "${name}" is not installed (looked in node_modules from ${shown(dirname(resolve(fromFile)))} upward)`,
      `install it (npm install ${name}) or, for a file, write ./${name}`);
  }
  let manifest: { name?: unknown; version?: unknown; exports?: unknown; main?: unknown };
  try {
    manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as typeof manifest;
  } catch (err) {
    throw new PluginEntryError(`plugin package "${name}" has an unreadable package.json: ${(err as Error).message}`);
  }
  const target = manifest.exports !== undefined ? exportTarget(manifest.exports, subpath)
    : subpath === '.' ? (typeof manifest.main === 'string' ? manifest.main : 'index.js') : subpath;
  if (target === undefined) {
    throw new PluginEntryError(`plugin package "${name}" does not export "${subpath}" for import`,
      'its package.json `exports` has no "import", "node" or "default" target for that path');
  }
  const file = [target, `${target}.js`, join(target, 'index.js')].map((t) => resolve(root, t)).find((f) => existsSync(f) && statSync(f).isFile());
  if (!file) throw new PluginEntryError(`plugin package "${name}": its entry ${shown(resolve(root, target))} does not exist`);
  return { path: realpathSync(file), package: { name: typeof manifest.name === 'string' ? manifest.name : name, version: String(manifest.version ?? '') } };
}

/** The target of `subpath` in a package's `exports` under the import conditions, if any. */
function exportTarget(exports: unknown, subpath: string): string | undefined {
  const isMap = isRecord(exports) && Object.keys(exports).some((k) => k.startsWith('.'));
  if (isMap) return conditionTarget((exports as Record<string, unknown>)[subpath]);
  return subpath === '.' ? conditionTarget(exports) : undefined;
}

function conditionTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) return target.map(conditionTarget).find((t) => t !== undefined);
  if (!isRecord(target)) return undefined;
  for (const [condition, value] of Object.entries(target)) {
    if (!IMPORT_CONDITIONS.has(condition)) continue;
    const found = conditionTarget(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A path as messages show it: relative to the working directory when below it. */
export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
