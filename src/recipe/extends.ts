import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecipeError } from '../errors.js';
import type { RecipeProblem } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { Origins } from './origins.js';
import type { Segment } from './origins.js';
import { codeFrame, FORBIDDEN_KEYS, locate, readRecipeSource } from './source.js';
import type { RecipeSource } from './source.js';
import { PACKAGE_PRESET, resolvePackagePreset } from './packages.js';
import type { PackageOrigin } from './packages.js';

type Json = Record<string, unknown>;

/** The package root: two levels above this file (src/recipe or dist/recipe). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where `extends: [NAME]` finds the built-in preset NAME.yaml. */
export const PRESETS_DIR = join(PACKAGE_ROOT, 'recipes');
/** How many recipes deep `extends` may nest (the recipe being run is depth 1). */
const MAX_EXTENDS_DEPTH = 8;
/** How many files one composition may read in all (bounds diamonds as well as depth). */
const MAX_EXTENDS_FILES = 64;

const PRESET_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** A recipe value with, for each of its paths, the file it came from. */
export interface Layer {
  value: Json;
  origins: Origins;
}

/** The recipe being run with its `extends` applied: merged value, origins, every file read. */
export interface Composed extends Layer {
  /** Every file read, by the name problems use for it. */
  sources: Map<string, RecipeSource>;
  /** The preset packages files were read from (see {@link resolvePackagePreset}). */
  packages: PackageOrigin[];
}

interface Context {
  /** Real directories an extended file may live in: the run recipe's and the presets'. */
  roots: string[];
  sources: Map<string, RecipeSource>;
  reads: number;
  packages: Map<string, PackageOrigin>;
}

interface ChainLink {
  real: string;
  file: string;
}

/**
 * Reads a recipe and everything it extends, merged: later `extends` entries win over earlier
 * ones and the recipe itself over all. `extends` is removed from the result, and so are the
 * `remove: true` stages it applied. Problems are located in the file that has the mistake.
 */
export function composeRecipe(file: string): Composed {
  const source = readRecipeSource(file);
  const real = realpathSync(file);
  const context: Context = { roots: projectRoots(real), sources: new Map([[source.file, source]]), reads: 1, packages: new Map() };
  try {
    const layer = composeSource(source, [{ real, file: source.file }], context);
    return { ...layer, sources: context.sources, packages: [...context.packages.values()] };
  } catch (err) {
    if (!(err instanceof RecipeError)) throw err;
    throw new RecipeError(err.problems.map((p) => {
      const text = context.sources.get(p.file)?.text;
      return p.frame || text === undefined ? p : { ...p, frame: codeFrame(text, p.line, p.col) };
    }));
  }
}

function composeSource(source: RecipeSource, chain: ChainLink[], context: Context): Layer {
  const value = source.value as Json;
  const { extends: entries, ...own } = value;
  const problems: RecipeProblem[] = [];
  const at = (path: Segment[], message: string, keyword: string, hint?: string): void => {
    problems.push({ file: source.file, ...locate(source, path), path: '/' + path.join('/'), message, keyword, ...(hint ? { hint } : {}) });
  };
  let base: Layer = { value: {}, origins: new Origins(source) };
  if (entries !== undefined && (!Array.isArray(entries) || entries.some((e) => typeof e !== 'string'))) {
    at(['extends'], 'extends must be a list of preset names, package presets or relative paths', 'extends',
      'e.g. extends: [quickstart, ./base.yaml, "@acme/condense-presets/bert"]');
  } else if (Array.isArray(entries)) {
    entries.forEach((entry: string, i) => {
      try {
        const target = resolveEntry(entry, source, chain, context);
        const parent = readRecipeSource(target.file);
        context.sources.set(parent.file, parent);
        const layer = composeSource(parent, [...chain, target], context);
        base = mergeLayers(base, layer, problems);
      } catch (err) {
        if (!(err instanceof RecipeError)) throw err;
        const located = err.problems.find((p) => p.line === 0);
        if (located) at(['extends', i], located.message, located.keyword, located.hint);
        problems.push(...err.problems.filter((p) => p.line !== 0));
      }
    });
  }
  const merged = mergeLayers(base, { value: own, origins: Origins.of(source, own) }, problems);
  if (problems.length) throw new RecipeError(problems);
  return merged;
}

/** An entry problem, to be located at the entry by the caller (line 0 marks it unlocated). */
function entryError(message: string, hint?: string): RecipeError {
  return new RecipeError([{ file: '', line: 0, col: 0, path: '', message, keyword: 'extends', ...(hint ? { hint } : {}) }]);
}

/** Where an `extends` entry points: a preset in the package or a path relative to `source`. */
function resolveEntry(entry: string, source: RecipeSource, chain: ChainLink[], context: Context): ChainLink {
  let file: string;
  let absolute: string;
  if (entry.startsWith('./') || entry.startsWith('../')) {
    file = join(dirname(source.file), entry);
    absolute = resolve(dirname(realpathSync(source.file)), entry);
  } else if (PRESET_NAME.test(entry) && !/\.ya?ml$/.test(entry)) {
    absolute = join(PRESETS_DIR, `${entry}.yaml`);
    file = shownPath(absolute);
    if (!existsSync(absolute)) {
      const presets = existsSync(PRESETS_DIR) ? readdirSync(PRESETS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)) : [];
      throw entryError(`unknown preset "${entry}"`, didYouMean(entry, presets) ?? `presets: ${presets.join(', ')}`);
    }
  } else if (PACKAGE_PRESET.test(entry)) {
    // Node's resolution from the directory of the file that names it, as `import` would.
    const found = resolvePackagePreset(entry, dirname(realpathSync(source.file)));
    context.packages.set(found.pkg.root, found.pkg);
    if (!context.roots.includes(found.pkg.root)) context.roots.push(found.pkg.root);
    absolute = found.file;
    file = shownPath(absolute);
    if (!inside(found.pkg.root, existsSync(absolute) ? realpathSync(absolute) : absolute)) {
      throw entryError(`preset "${entry}" names a file outside its package (${absolute})`);
    }
  } else {
    throw entryError(`extends entry "${entry}" is neither a preset name, a package preset nor a relative path`,
      'name a preset (e.g. quickstart), a package preset (@scope/package/preset) or a path starting with ./ or ../');
  }
  if (!existsSync(absolute)) throw entryError(`extended recipe not found: ${file}`);
  const real = realpathSync(absolute);
  if (!context.roots.some((root) => inside(root, real))) {
    throw entryError(`extends "${entry}" resolves outside the recipe's directory (${real})`,
      'an extended recipe must sit in the directory of the recipe being run (or below it), or be a preset');
  }
  const loop = chain.findIndex((link) => link.real === real);
  if (loop >= 0) {
    const cycle = [...chain.slice(loop).map((l) => l.file), file].join(' → ');
    throw entryError(`extends cycle: ${cycle}`, 'a recipe cannot extend itself, directly or through others');
  }
  if (chain.length >= MAX_EXTENDS_DEPTH) {
    throw entryError(`extends nests deeper than ${MAX_EXTENDS_DEPTH} recipes`, `chain: ${[...chain.map((l) => l.file), file].join(' → ')}`);
  }
  if (++context.reads > MAX_EXTENDS_FILES) throw entryError(`extends reads more than ${MAX_EXTENDS_FILES} files`);
  return { real, file };
}

/** How problems name a file: relative to the working directory when below it, else absolute. */
function shownPath(absolute: string): string {
  const shown = relative(process.cwd(), absolute);
  return shown.startsWith('..') || isAbsolute(shown) ? absolute : shown;
}

/**
 * The recipe's project tree: the real directories files it names (extended recipes, plugins) may
 * live in, i.e. the directory of the recipe being run (and below) and the bundled presets.
 */
export function projectRoots(recipeFile: string): string[] {
  const roots = [dirname(realpathSync(recipeFile))];
  if (existsSync(PRESETS_DIR)) roots.push(realpathSync(PRESETS_DIR));
  return roots;
}

/** Whether real path `path` is `root` or below it. */
export function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const isPlain = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const hasOwn = (o: Json, k: string) => Object.prototype.hasOwnProperty.call(o, k);

interface MergeContext {
  base: Origins;
  over: Origins;
  out: Origins;
  problems: RecipeProblem[];
}

/**
 * Merges `over` onto `base`: mappings deeply, lists replaced, except the top-level `stages`,
 * merged by stage name (see {@link mergeStages}). Values are copied, never shared.
 */
export function mergeLayers(base: Layer, over: Layer, problems: RecipeProblem[]): Layer {
  const out = new Origins(over.origins.root);
  const c: MergeContext = { base: base.origins, over: over.origins, out, problems };
  return { value: mergeAt(base.value, [], over.value, [], [], c) as Json, origins: out };
}

function mergeAt(b: unknown, bPath: Segment[], o: unknown, oPath: Segment[], outPath: Segment[], c: MergeContext): unknown {
  if (!isPlain(b) || !isPlain(o)) return take(c.over, o, oPath, outPath, c);
  const origin = c.over.get(oPath) ?? c.base.get(bPath);
  if (origin) c.out.set(outPath, origin);
  const result: Json = {};
  const put = (k: string, v: unknown) => {
    if (!FORBIDDEN_KEYS.has(k)) Object.defineProperty(result, k, { value: v, enumerable: true, writable: true, configurable: true });
  };
  for (const [k, v] of Object.entries(b)) {
    if (hasOwn(o, k)) put(k, mergeKey(b, bPath, o, oPath, outPath, k, c));
    else put(k, take(c.base, v, [...bPath, k], [...outPath, k], c));
  }
  for (const [k, v] of Object.entries(o)) {
    if (!hasOwn(b, k)) put(k, outPath.length === 0 && k === 'stages' ? mergeKey(b, bPath, o, oPath, outPath, k, c) : take(c.over, v, [...oPath, k], [...outPath, k], c));
  }
  return result;
}

function mergeKey(b: Json, bPath: Segment[], o: Json, oPath: Segment[], outPath: Segment[], k: string, c: MergeContext): unknown {
  const isStages = outPath.length === 0 && k === 'stages' && Array.isArray(o[k]) && (b[k] === undefined || Array.isArray(b[k]));
  if (isStages) return mergeStages((b[k] ?? []) as unknown[], [...bPath, k], o[k] as unknown[], [...oPath, k], c);
  return mergeAt(b[k], [...bPath, k], o[k], [...oPath, k], [...outPath, k], c);
}

/** A fresh copy of `value`, its origins copied from `from` at `path` to `to`. */
function take(from: Origins, value: unknown, path: Segment[], to: Segment[], c: MergeContext): unknown {
  c.out.copy(from, path, value, to);
  return cloneJson(value);
}

/** Deep copy of a JSON-like value, without the shared references YAML aliases produce. */
export function cloneJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneJson);
  if (!isPlain(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (!FORBIDDEN_KEYS.has(k)) Object.defineProperty(out, k, { value: cloneJson(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The name a stage answers to: its `name`, else its `type`. */
function stageName(stage: unknown): string | undefined {
  if (!isPlain(stage)) return undefined;
  if (typeof stage.name === 'string') return stage.name;
  return typeof stage.type === 'string' ? stage.type : undefined;
}

/**
 * Merges stage lists by name: an over stage with a base stage's name overrides only the fields
 * it gives and keeps the base stage's place; `remove: true` drops the base stage; other stages
 * append in order. `remove: true` naming no base stage is a problem.
 */
function mergeStages(bList: unknown[], bPath: Segment[], oList: unknown[], oPath: Segment[], c: MergeContext): unknown[] {
  const entries: Array<{ b?: number; o?: number }> = bList.map((_, i) => ({ b: i }));
  oList.forEach((stage, j) => {
    const name = stageName(stage);
    const index = name === undefined ? -1 : entries.findIndex((e) => e.o === undefined && stageName(bList[e.b!]) === name);
    if (isPlain(stage) && stage.remove === true) {
      if (index >= 0) entries.splice(index, 1);
      else {
        const names = entries.filter((e) => e.b !== undefined).map((e) => stageName(bList[e.b!])).filter((n): n is string => !!n);
        const where = c.over.at([...oPath, j, 'remove'], { key: true });
        c.problems.push({
          file: where.file, line: where.line, col: where.col, path: '/' + [...oPath, j, 'remove'].join('/'), keyword: 'remove',
          message: `remove: no stage named "${name ?? '?'}" in the recipes this one extends`,
          hint: (name && didYouMean(name, names)) ?? (names.length ? `their stages: ${names.join(', ')}` : '`remove: true` drops a stage of an extended recipe; this recipe extends none with stages'),
        });
      }
      return;
    }
    if (index >= 0) entries[index] = { b: entries[index]!.b, o: j };
    else entries.push({ o: j });
  });
  const origin = c.over.get(oPath);
  if (origin) c.out.set(['stages'], origin);
  return entries.map((e, k) => {
    const to = ['stages', k];
    let stage: unknown;
    if (e.b !== undefined && e.o !== undefined) stage = mergeAt(bList[e.b], [...bPath, e.b], oList[e.o], [...oPath, e.o], to, c);
    else if (e.b !== undefined) stage = take(c.base, bList[e.b], [...bPath, e.b], to, c);
    else stage = take(c.over, oList[e.o!], [...oPath, e.o!], to, c);
    if (isPlain(stage) && typeof stage.remove === 'boolean') delete stage.remove;
    return stage;
  });
}
