import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { RecipeError } from '../errors.js';

/** `PACKAGE/PRESET` or `@SCOPE/PACKAGE/PRESET`: an `extends` entry naming a preset of an npm package. */
export const PACKAGE_PRESET = /^((?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*)\/([a-z0-9][a-z0-9._-]*)$/;

/** An installed npm package that ships condense presets (`"condense": { "presets": {...} }`). */
export interface PresetPackage {
  name: string;
  version: string;
  /** Real path of the package's directory. */
  root: string;
  /** Preset name → path of its YAML file, absolute. */
  presets: Map<string, string>;
}

/** Where a recipe file came from when it belongs to a preset package. */
export interface PackageOrigin {
  name: string;
  version: string;
  /** Real path of the package's directory. */
  root: string;
}

function packageError(message: string, hint?: string): RecipeError {
  return new RecipeError([{ file: '', line: 0, col: 0, path: '', message, keyword: 'extends', ...(hint ? { hint } : {}) }]);
}

/**
 * Finds package `name` the way Node does from `fromDir` (each `node_modules` up the tree, then the
 * global folders), reading its package.json only: a package's `exports` need not list its presets.
 */
export function findPackageRoot(name: string, fromDir: string): string | undefined {
  const paths = createRequire(join(fromDir, 'recipe.yaml')).resolve.paths(name) ?? [];
  for (const dir of paths) {
    const root = join(dir, name);
    if (existsSync(join(root, 'package.json'))) return realpathSync(root);
  }
  return undefined;
}

/** Reads a package's preset list; undefined when it has no `condense.presets`. Throws on a malformed one. */
export function readPresetPackage(root: string): PresetPackage | undefined {
  let json: { name?: unknown; version?: unknown; condense?: { presets?: unknown } };
  try {
    json = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  } catch (err) {
    throw packageError(`${join(root, 'package.json')} cannot be read as JSON (${(err as Error).message})`);
  }
  const presets = json.condense?.presets;
  if (presets === undefined) return undefined;
  if (!presets || typeof presets !== 'object' || Array.isArray(presets)) {
    throw packageError(`${join(root, 'package.json')}: "condense.presets" must map preset names to files`, 'e.g. "condense": { "presets": { "bert": "./presets/bert.yaml" } }');
  }
  const files = new Map<string, string>();
  for (const [preset, file] of Object.entries(presets as Record<string, unknown>)) {
    if (typeof file === 'string') files.set(preset, resolve(root, file));
  }
  return { name: String(json.name ?? ''), version: String(json.version ?? ''), root, presets: files };
}

/**
 * Resolves `PACKAGE/PRESET` from the recipe directory `fromDir` to the preset's file and its package.
 * Problems (package not installed, no such preset) are RecipeErrors to be located at the entry.
 */
export function resolvePackagePreset(entry: string, fromDir: string): { file: string; pkg: PackageOrigin } {
  const [, name, preset] = PACKAGE_PRESET.exec(entry)!;
  const root = findPackageRoot(name!, fromDir);
  if (!root) throw packageError(`preset package "${name}" is not installed (looked in node_modules from ${fromDir} up)`, `npm install ${name}`);
  const pkg = readPresetPackage(root);
  if (!pkg) throw packageError(`package "${name}" (${root}) lists no condense presets`, 'a preset package has "condense": { "presets": { NAME: FILE } } in its package.json');
  const file = pkg.presets.get(preset!);
  if (!file) throw packageError(`package "${name}" has no preset "${preset}"`, `its presets: ${[...pkg.presets.keys()].join(', ') || '(none)'}`);
  return { file, pkg: { name: pkg.name, version: pkg.version, root } };
}

/** Every installed preset package visible from `fromDir` (nearest first; a name found twice is kept once). */
export function installedPresetPackages(fromDir: string): PresetPackage[] {
  const dirs = createRequire(join(fromDir, 'recipe.yaml')).resolve.paths('x') ?? [];
  const found = new Map<string, PresetPackage>();
  for (const dir of dirs) {
    for (const root of packageDirs(dir)) {
      try {
        const pkg = readPresetPackage(root);
        if (pkg && !found.has(pkg.name)) found.set(pkg.name, pkg);
      } catch {
        // A broken package.json elsewhere in node_modules is not this listing's concern.
      }
    }
  }
  return [...found.values()];
}

function packageDirs(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    const dir = join(nodeModules, entry);
    if (entry.startsWith('@')) {
      for (const inner of safeList(dir)) out.push(join(dir, inner));
    } else out.push(dir);
  }
  return out.filter((d) => existsSync(join(d, 'package.json'))).map((d) => realpathSync(d));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The package directory `file` belongs to, among `origins` (by real path). */
export function packageOf(file: string, origins: Iterable<PackageOrigin>): PackageOrigin | undefined {
  const real = existsSync(file) ? realpathSync(file) : resolve(file);
  for (const o of origins) if (real.startsWith(o.root + '/') || dirname(real) === o.root) return o;
  return undefined;
}
