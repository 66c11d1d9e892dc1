import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RecipeError } from '../errors.js';
import type { RecipeProblem } from '../errors.js';
import { datasetDefinitionProblem, datasetSchema } from '../data/registry.js';
import type { DatasetDefinition } from '../data/registry.js';
import type { StageRegistry } from '../stages/registry.js';
import type { StageDefinition, StateCodec } from '../stages/types.js';
import { addLayerClasses, layerClassProblem } from '../model/custom-layers.js';
import type { LayerClass } from '../model/custom-layers.js';
import { projectRoots } from './extends.js';
import { pluginCodeHash } from './plugin-code.js';
import { definitionShapeProblem } from '../util/definition-shape.js';
import type { Origins } from './origins.js';
import { PluginEntryError, resolvePluginEntry, shown } from './plugin-resolve.js';
import type { PackageId } from './plugin-resolve.js';
import { schemaFragmentError } from './validate.js';

export type { PackageId } from './plugin-resolve.js';

/**
 * What a plugin module exports, as named exports or as its default export:
 * `export const stages = [...]` or `export default { stages: [...] }`.
 */
export interface PluginModule {
  /** Stage types the plugin adds; each `type` must be new to the registry. */
  stages?: StageDefinition[];
  /** Codecs of the kinds of model state its stages add (each `kind` new), so checkpoints keep them. */
  stateCodecs?: StateCodec[];
  /** Custom layer classes (`tf.layers.Layer` subclasses with a static `className`) that models may use. */
  layers?: LayerClass[];
  /** Dataset types the plugin adds (`data.dataset: <name>`); each `name` must be new to the registry. */
  datasets?: DatasetDefinition[];
}

/** A plugin a recipe loaded: what the recipe wrote, the module file, and its content hash. */
export interface LoadedPlugin {
  /** The `plugins` entry as written. */
  spec: string;
  /** Real absolute path of the module file imported. */
  path: string;
  /** sha256 (hex) of that file's bytes (the entry module only). */
  sha256: string;
  /** sha256 of its code: the module file and the local modules it imports (see {@link pluginCodeHash}); enters its stages' fingerprints. */
  codeSha256: string;
  /** The installed package it came from, for a package name entry. */
  package?: PackageId;
}

/** Keys the registry itself puts on every stage branch; a plugin's `properties` may not redefine them. */
const RESERVED_FIELDS = ['name', 'type', 'remove'];

/** A copy of `base` that plugins can register on without changing it. */
export function copyRegistry(base: StageRegistry): StageRegistry {
  return base.clone();
}

/**
 * Imports the modules `value.plugins` names and registers their stage types on `registry`.
 * Entries resolve against the file that wrote them (see {@link resolvePluginEntry}); every
 * problem (unresolvable entry, bad module shape, invalid schema fragment, a type registered
 * twice) is a RecipeError located at its entry.
 */
export async function loadPlugins(value: Record<string, unknown>, origins: Origins, recipeFile: string, registry: StageRegistry): Promise<LoadedPlugin[]> {
  const entries = value.plugins;
  if (entries === undefined) return [];
  const problems: RecipeProblem[] = [];
  const report = (i: number | undefined, message: string, hint?: string) => {
    const path = i === undefined ? ['plugins'] : ['plugins', i];
    problems.push({ ...origins.at(path), path: '/' + path.join('/'), message, keyword: 'plugins', ...(hint ? { hint } : {}) });
  };
  if (!Array.isArray(entries) || entries.some((e) => typeof e !== 'string' || !e)) {
    report(undefined, 'plugins must be a list of relative paths or package names', 'e.g. plugins: [./my-stages.mjs, some-package]');
    throw new RecipeError(problems);
  }
  const roots = projectRoots(recipeFile);
  const owners = new Map<string, string>();
  const loaded: LoadedPlugin[] = [];
  for (const [i, spec] of (entries as string[]).entries()) {
    try {
      const from = origins.resolve(['plugins', i]).origin.source.file;
      const target = resolvePluginEntry(spec, from, roots);
      if (!target.package && from !== origins.root.file) entries[i] = asWrittenByRecipe(target.path, recipeFile);
      const twice = loaded.findIndex((p) => p.path === target.path);
      if (twice >= 0) throw new PluginEntryError(`plugin "${spec}" is listed twice (also entry ${twice + 1}, "${loaded[twice]!.spec}")`);
      const sha256 = createHash('sha256').update(readFileSync(target.path)).digest('hex');
      const module = await importPlugin(target.path);
      const codeSha256 = pluginCodeHash(target.path);
      registerStages(module, shown(target.path), registry, owners, codeSha256);
      registerCodecs(module, shown(target.path), registry);
      registerLayers(module, shown(target.path));
      registerDatasets(module, shown(target.path), registry, owners, codeSha256);
      loaded.push({ spec, path: target.path, sha256, codeSha256, ...(target.package ? { package: target.package } : {}) });
    } catch (err) {
      if (!(err instanceof PluginEntryError)) throw err;
      report(i, err.message, err.hint);
    }
  }
  if (problems.length) throw new RecipeError(problems);
  return loaded;
}

/**
 * A plugin file as the recipe being run would name it, for an entry an extended recipe wrote
 * relative to itself: so the resolved recipe (`condense resolve`, recipe.resolved.yaml) names the
 * same files from the recipe's directory.
 */
function asWrittenByRecipe(path: string, recipeFile: string): string {
  const rel = relative(dirname(realpathSync(recipeFile)), path).split(sep).join('/');
  return rel.startsWith('../') ? rel : `./${rel}`;
}

/** The module's plugin object: its named exports when it has `stages` or `datasets`, else its default export. */
async function importPlugin(path: string): Promise<PluginModule> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await import(pathToFileURL(path).href) as Record<string, unknown>;
  } catch (err) {
    throw new PluginEntryError(`plugin ${shown(path)} failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
  const exported = ['stages', 'layers', 'datasets'].some((k) => k in namespace) ? namespace : namespace.default;
  const module = exported as PluginModule | null;
  const fields = ['stages', 'layers', 'datasets'] as const;
  const lists = module !== null && typeof module === 'object'
    && fields.every((f) => module[f] === undefined || Array.isArray(module[f])) && fields.some((f) => Array.isArray(module[f]));
  if (!lists) {
    throw new PluginEntryError(`plugin ${shown(path)} exports no \`stages\` list`,
      'export const stages = [myStage]; (or datasets = [myDataset]) or export default { stages: [myStage] }');
  }
  return module!;
}

/** Checks each stage definition of a plugin and registers it; `owners` says which plugin added a type. */
function registerStages(module: PluginModule, plugin: string, registry: StageRegistry, owners: Map<string, string>, codeSha256: string): void {
  for (const [i, definition] of (module.stages ?? []).entries()) {
    const type = (definition as Partial<StageDefinition> | null)?.type;
    const what = typeof type === 'string' && type ? `stage type "${type}"` : `stages[${i}]`;
    const fail = (message: string, hint?: string) => new PluginEntryError(`plugin ${plugin}: ${what} ${message}`, hint);
    const problem = definitionProblem(definition);
    if (problem) throw fail(problem, 'a stage definition has type, description, properties and run (see docs/plugins.md)');
    if (registry.get(type!)) {
      const owner = owners.get(type!);
      throw fail(`is already registered${owner ? ` by plugin ${owner}` : ' (a built-in stage type)'}`, 'give the plugin\'s stage a type name of its own');
    }
    const schemaError = schemaFragmentError({
      type: 'object', properties: definition.properties, ...(definition.required ? { required: definition.required } : {}), additionalProperties: false,
    });
    if (schemaError) {
      throw fail(`has an invalid schema: ${schemaError}`, 'fix its `properties`: condense compiles them as JSON Schema draft-07 with ajv in strict mode');
    }
    for (const codec of definition.stateCodecs ?? []) checkCodec(codec, `plugin ${plugin}: ${what}`, registry);
    registry.register(definition, { origin: codeSha256 });
    owners.set(type!, plugin);
  }
}

/** Checks each dataset definition of a plugin and registers it; `owners` also records dataset names (as `data:<name>`). */
function registerDatasets(module: PluginModule, plugin: string, registry: StageRegistry, owners: Map<string, string>, sha256: string): void {
  for (const [i, definition] of (module.datasets ?? []).entries()) {
    const name = (definition as Partial<DatasetDefinition> | null)?.name;
    const what = typeof name === 'string' && name ? `dataset "${name}"` : `datasets[${i}]`;
    const fail = (message: string, hint?: string) => new PluginEntryError(`plugin ${plugin}: ${what} ${message}`, hint);
    const problem = datasetDefinitionProblem(definition);
    if (problem) throw fail(problem, 'a dataset definition has name, description, version, properties and load (see docs/plugins.md)');
    if (registry.dataset(name!)) {
      const owner = owners.get(`data:${name}`);
      throw fail(`is already registered${owner ? ` by plugin ${owner}` : ' (a built-in dataset)'}`, 'give the plugin\'s dataset a name of its own');
    }
    const schemaError = schemaFragmentError(datasetSchema(definition));
    if (schemaError) {
      throw fail(`has an invalid schema: ${schemaError}`, 'fix its `properties`: condense compiles them as JSON Schema draft-07 with ajv in strict mode');
    }
    registry.registerDataset(definition, { origin: sha256 });
    owners.set(`data:${name}`, plugin);
  }
}

/** Registers the plugin's module-level state codecs (a codec its stages already brought is skipped). */
function registerCodecs(module: PluginModule, plugin: string, registry: StageRegistry): void {
  for (const codec of module.stateCodecs ?? []) {
    if (checkCodec(codec, `plugin ${plugin}`, registry)) registry.registerStateCodec(codec);
  }
}

/**
 * A plugin's codec must have the codec shape and a kind of its own; false when this very codec
 * is registered already (declared both on a stage and by the module), which is fine.
 */
function checkCodec(codec: StateCodec, who: string, registry: StageRegistry): boolean {
  const kind = (codec as Partial<StateCodec> | null)?.kind;
  if (typeof kind !== 'string' || typeof codec.encode !== 'function' || typeof codec.decode !== 'function' || typeof codec.empty !== 'function') {
    throw new PluginEntryError(`${who}: a state codec needs kind, empty, encode and decode`, 'see docs/plugins.md');
  }
  const existing = registry.stateCodec(kind);
  if (existing === codec) return false;
  if (kind === 'model' || existing) {
    throw new PluginEntryError(`${who}: model state kind "${kind}" is ${kind === 'model' ? 'reserved' : 'already registered'}`, 'give the kind a name of its own');
  }
  return true;
}

/** Records the plugin's layer classes; TF.js registers them before any model loads (model/io.ts). */
function registerLayers(module: PluginModule, plugin: string): void {
  if (module.layers === undefined) return;
  if (!Array.isArray(module.layers)) throw new PluginEntryError(`plugin ${plugin}: \`layers\` must be a list of layer classes`);
  module.layers.forEach((c, i) => {
    const problem = layerClassProblem(c);
    if (problem) throw new PluginEntryError(`plugin ${plugin}: layers[${i}] ${problem}`, 'export const layers = [MyLayer]; where class MyLayer extends tf.layers.Layer { static className = \'MyLayer\'; ... }');
  });
  addLayerClasses(module.layers);
}

/** What is wrong with the shape of a stage definition, or undefined. */
function definitionProblem(d: unknown): string | undefined {
  return definitionShapeProblem(d, {
    id: { field: 'type', example: 'noise-accuracy' }, fn: { field: 'run', shown: 'run(ctx)' },
    reserved: RESERVED_FIELDS, noun: 'stage', versionWhen: 'the stage computes something different',
  });
}
