import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { RecipeError } from '../errors.js';
import type { RecipeProblem, SourceLocation } from '../errors.js';
import type { StageRegistry } from '../stages/registry.js';
import { hashValue, sha256 } from '../util/hash.js';
import { composeRecipe } from './extends.js';
import type { Composed } from './extends.js';
import { copyRegistry, loadPlugins } from './plugins.js';
import type { LoadedPlugin } from './plugins.js';
import { packageOf } from './packages.js';
import type { PackageOrigin } from './packages.js';
import { Origins } from './origins.js';
import type { Segment } from './origins.js';
import { applyOverrides, defaultStageNames, interpolateVars, parseOverrides } from './resolve.js';
import { buildRecipeSchema } from './schema.js';
import { semanticProblems } from './semantic.js';
import { codeFrame } from './source.js';
import type { RecipeSource } from './source.js';
import type { Recipe } from './types.js';
import { schemaProblems, versionProblem } from './validate.js';

/** A recipe read, resolved and validated, with where it came from. */
export interface LoadedRecipe {
  /** Path of the recipe file as given. */
  file: string;
  /** Directory relative paths in the recipe are resolved against. */
  dir: string;
  /** The recipe file itself (not the recipes it extends). */
  source: RecipeSource;
  /** Every file read (the recipe and what it extends), by the name problems use for it. */
  sources: Map<string, RecipeSource>;
  /** For every path of `recipe`, the file and place it came from; use {@link pointAt}. */
  origins: Origins;
  recipe: Recipe;
  /** sha256 of the resolved recipe's canonical JSON. */
  hash: string;
  /** The stage types the recipe was validated with (built-ins plus its plugins'); run it with this. */
  registry: StageRegistry;
  /** The plugins imported, in `plugins` order; empty when loaded by {@link loadRecipe}. */
  plugins: LoadedPlugin[];
  /** The `--set PATH=VALUE` arguments applied, as given. */
  overrides: string[];
  /** Every file the recipe was composed from, hashed (what run.lock.json records as `sources`). */
  files: RecipeFile[];
}

/** One file a recipe was composed from, as run.lock.json records it. */
export interface RecipeFile {
  /** Path relative to the recipe's directory, `/`-separated. */
  path: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  /** The preset package it belongs to, with the file's path inside the package. */
  package?: { name: string; version: string; path: string };
}

/** Options of {@link loadRecipe}. */
export interface LoadOptions {
  registry: StageRegistry;
  /** `--set PATH=VALUE` arguments, applied after `extends` and before vars and validation. */
  set?: readonly string[];
}

/**
 * Reads a recipe and what it extends, merges them, applies `--set` and `${vars.NAME}`, fills
 * defaults and validates the result against the schema and the semantic checks. Every problem
 * is reported at once as a RecipeError located in the file that has the mistake.
 *
 * Synchronous, so it does not import the recipe's `plugins`: register their stage types on
 * `options.registry` yourself, or use {@link loadRecipeWithPlugins}.
 */
export function loadRecipe(file: string, options: LoadOptions): LoadedRecipe {
  return validateComposed(file, composeWithOverrides(file, options.set), options.registry, [], options.set);
}

/** Options of {@link loadRecipeWithPlugins}. */
export interface PluginLoadOptions {
  /** Stage types to start from, usually `builtinStages()` (copied, not changed). */
  registry: StageRegistry;
  /** `--set PATH=VALUE` arguments, as for {@link loadRecipe}; they may change `plugins` too. */
  set?: readonly string[];
}

/**
 * {@link loadRecipe} for a recipe with `plugins`: composes it, imports the modules `plugins`
 * names (see docs/plugins.md), registers their stage types on a copy of `options.registry`, then
 * validates with that registry. The result's `registry` runs it; `plugins` says what was loaded.
 * A recipe whose version this condense does not read fails before any plugin code runs.
 */
export async function loadRecipeWithPlugins(file: string, options: PluginLoadOptions): Promise<LoadedRecipe> {
  const composed = composeWithOverrides(file, options.set);
  const version = versionProblem(composed.value, composed.origins);
  if (version) throw located([version], composed.sources);
  const registry = copyRegistry(options.registry);
  let plugins: LoadedPlugin[];
  try {
    plugins = await loadPlugins(composed.value, composed.origins, file, registry);
  } catch (err) {
    throw err instanceof RecipeError ? located(err.problems, composed.sources) : err;
  }
  return validateComposed(file, composed, registry, plugins, options.set);
}

function composeWithOverrides(file: string, set: readonly string[] = []): Composed {
  const composed = composeRecipe(file);
  const overrides = parseOverrides(set);
  const paths = applyOverrides(composed.value, overrides);
  // A problem in a --set value is located in that --set, not in the recipe line it replaced.
  overrides.forEach((o, i) => {
    const source = overrideSource(o.text);
    composed.sources.set(source.file, source);
    composed.origins.copy(Origins.of(source, o.value), [], o.value, paths[i]!);
  });
  return composed;
}

/** Names problems use for a `--set` argument: `--set PATH=VALUE`. */
const OVERRIDE_PREFIX = '--set ';

/** A `--set PATH=VALUE` as a source whose positions are columns of the argument. */
function overrideSource(text: string): RecipeSource {
  const eq = text.indexOf('=');
  const lines = new LineCounter();
  // Padding keeps the value's columns those of the whole argument.
  const doc = parseDocument(' '.repeat(eq + 1) + text.slice(eq + 1), { lineCounter: lines, schema: 'core' });
  return { file: OVERRIDE_PREFIX + text, text, doc, lines, value: doc.toJS() };
}

function validateComposed(file: string, composed: Composed, registry: StageRegistry, plugins: LoadedPlugin[], set: readonly string[] = []): LoadedRecipe {
  const value = composed.value;
  const problems: RecipeProblem[] = [];
  const version = versionProblem(value, composed.origins);
  if (version) problems.push(version);
  else {
    problems.push(...interpolateVars(value, composed.origins));
    defaultStageNames(value);
    if (!problems.length) problems.push(...schemaProblems(value, buildRecipeSchema(registry), composed.origins));
    if (!problems.length) problems.push(...semanticProblems(value as unknown as Recipe, composed.origins, registry));
  }
  if (problems.length) throw located(problems, composed.sources);
  const recipe = value as unknown as Recipe;
  const source = composed.sources.get(composed.origins.root.file) ?? composed.origins.root;
  return {
    file, dir: dirname(resolve(file)), source, sources: composed.sources, origins: composed.origins,
    recipe, hash: hashValue(recipe), registry, plugins, overrides: [...set], files: recipeFiles(dirname(resolve(file)), composed),
  };
}

const posix = (path: string) => path.split(sep).join('/');

/** The composed recipe's files, hashed, the recipe first, each with its preset package if any. */
function recipeFiles(dir: string, composed: Composed): RecipeFile[] {
  return [...composed.sources.keys()].filter((name) => !name.startsWith(OVERRIDE_PREFIX)).map((name) => {
    const absolute = resolve(name);
    const pkg: PackageOrigin | undefined = packageOf(absolute, composed.packages);
    return {
      path: posix(relative(dir, absolute)),
      sha256: sha256(readFileSync(absolute)),
      ...(pkg ? { package: { name: pkg.name, version: pkg.version, path: posix(relative(pkg.root, absolute)) } } : {}),
    };
  });
}

/** The problems sorted and framed, as one RecipeError. */
function located(problems: RecipeProblem[], sources: Map<string, RecipeSource>): RecipeError {
  return new RecipeError(sortProblems(problems).map((p) => withFrame(p, sources)));
}

/** Problems by file (in the order files were read), then line and column. */
function sortProblems(problems: RecipeProblem[]): RecipeProblem[] {
  const files = [...new Set(problems.map((p) => p.file))];
  return [...problems].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line || a.col - b.col);
}

function withFrame(p: RecipeProblem, sources: Map<string, RecipeSource>): RecipeProblem {
  const text = sources.get(p.file)?.text;
  return p.frame || text === undefined ? p : { ...p, frame: codeFrame(text, p.line, p.col) };
}

/**
 * Where the value at `path` of a loaded recipe was written: file, line, column and a code frame,
 * in whichever file (the recipe or one it extends) contributed it.
 */
export function pointAt(loaded: LoadedRecipe, path: readonly Segment[], options: { key?: boolean } = {}): SourceLocation & { frame: string } {
  const where = loaded.origins.at(path, options);
  const text = loaded.sources.get(where.file)?.text ?? '';
  return { ...where, frame: codeFrame(text, where.line, where.col) };
}

/** The resolved recipe as YAML: deterministic (same recipe, same bytes). */
export function resolvedYaml(recipe: Recipe): string {
  return stringify(recipe, { lineWidth: 0, sortMapEntries: false });
}
