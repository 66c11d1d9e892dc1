import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { selectBackend } from '../backend/select.js';
import type { BackendInfo, BackendRequest } from '../backend/select.js';
import { datasetFromArrays } from '../data/index.js';
import { loadRecipeData, resolvePath } from './preflight.js';

export { resolvePath } from './preflight.js';
import type { InMemoryData } from '../data/index.js';
import type { Dataset } from '../data/types.js';
import type { LoadedRecipe } from '../recipe/load.js';
import type { StageRegistry } from '../stages/registry.js';
import type { CodecLookup } from '../state/codecs.js';
import { declaredOutputs } from '../stages/walk.js';
import type { OutputOptions } from '../model/outputs.js';
import type { StageCache } from '../store/cache.js';
import { readCheckpoint } from '../store/checkpoint.js';
import type { StageRecord } from '../types/records.js';
import { sha256 } from '../util/hash.js';
import type { RunEvent } from './events.js';
import { initialFingerprint } from './fingerprint.js';
import { planStages } from './plan.js';
import type { PlanStep, StageOnDisk } from './plan.js';
import { latestSnapshot, snapshotRoot } from './snapshots.js';
import { decodeStageRecord } from './state-io.js';

/** Everything a run knows before its first stage: where, on what, with which data, and the plan. */
export interface RunContext {
  loaded: LoadedRecipe;
  registry: StageRegistry;
  /** The run directory. */
  out: string;
  backend: BackendInfo;
  /** The exact backend build ({@link BackendInfo.build}), as fingerprints and the lock record it. */
  backendBuild: string;
  data: Dataset;
  steps: PlanStep[];
  /** The record of every stage checkpoint found valid while planning, by stage directory. */
  records: Map<string, StageRecord>;
  /** The recipe's `model.path`, resolved; undefined for a builtin. */
  modelPath?: string;
  codecs: CodecLookup;
  /** What the recipe declares about each stage's output model ({@link declaredOutputs}). */
  outputs: Map<string, OutputOptions>;
  /** The kinds of model state every state has (those of the registered codecs). */
  kinds: string[];
  emit: (event: RunEvent) => void;
  signal: AbortSignal;
  /** The stage cache shared by every run directory, when the run uses one. */
  cache?: StageCache;
  /** Stage directories whose checkpoint the plan found in `cache` only: the run copies them in. */
  fromCache: Set<string>;
  /** Date.now() when the run started. */
  started: number;
  /**
   * For a GraphModel input, the class it predicts for each test example: every stage's
   * `agreement` is measured against it (set when the run opens the model).
   */
  reference?: Int32Array;
}

/** What {@link prepareRun} (and so a run) needs besides the recipe. */
export interface PrepareOptions {
  /** The stage types (and state codecs) the recipe may use; default `loaded.registry` (the built-ins and its plugins'). */
  registry?: StageRegistry;
  /** Run directory (default `runs/<name>` under the current directory). */
  out?: string;
  /** Overrides the recipe's `backend`. */
  backend?: BackendRequest;
  /** Continue an interrupted stage from its newest epoch checkpoint. */
  resume?: boolean;
  onEvent?: (event: RunEvent) => void;
  /** Aborting stops training at the next batch; the run then throws InterruptedError. */
  signal?: AbortSignal;
  /**
   * In-memory data used instead of loading the recipe's `data` (a Dataset, or train/test arrays
   * with their inputShape); its fingerprint hashes the arrays.
   */
  data?: Dataset | InMemoryData;
  /**
   * The stage cache shared by every run directory (see StageCache): stages found there are
   * reused, stages run are stored there. Default none: only the run directory's checkpoints.
   */
  cache?: StageCache;
}

/** The run directory: `--out`, or `runs/<name>` under the current directory. */
export function runDirectory(loaded: LoadedRecipe, out?: string): string {
  return resolve(out ?? join('runs', loaded.recipe.name));
}

/** Loads the backend and the data, fingerprints the initial model and plans every stage. */
export async function prepareRun(loaded: LoadedRecipe, options: PrepareOptions): Promise<RunContext> {
  const { recipe } = loaded;
  const out = runDirectory(loaded, options.out);
  const backend = await selectBackend(options.backend ?? recipe.backend);
  const backendBuild = backend.build;
  const registry = options.registry ?? loaded.registry;
  // In-memory arrays follow the recipe's task unless they say otherwise.
  const data = options.data
    ? datasetFromArrays('fingerprint' in options.data || !recipe.task ? options.data : { task: recipe.task, ...options.data })
    : loadRecipeData(loaded, registry);
  const modelPath = recipe.model.path ? resolvePath(loaded.dir, recipe.model.path) : undefined;
  // `task` changes the loss of every stage; absent (classification) it leaves fingerprints as they were.
  const modelSpec = recipe.task ? { ...recipe.model, task: recipe.task } : recipe.model;
  const initial = initialFingerprint(modelSpec, modelPath ? hashModelDir(modelPath) : undefined, data.fingerprint, recipe.seed, backendBuild);
  const records = new Map<string, StageRecord>();
  const fromCache = new Set<string>();
  const modelFileHash = (path: string) => hashModelDir(resolvePath(loaded.dir, path));
  const steps = planStages(recipe, registry, { initial, data: data.fingerprint, backendBuild, resume: options.resume, modelFileHash },
    (dir, fingerprint) => withSharedCache(stageOnDisk(join(out, dir), (record) => records.set(dir, record)), fingerprint, options.cache, (record) => {
      records.set(dir, record);
      fromCache.add(dir);
    }));
  return {
    loaded, registry, out, backend, backendBuild, data, steps, records, modelPath,
    codecs: (kind) => registry.stateCodec(kind), outputs: declaredOutputs(recipe, registry), kinds: registry.stateCodecs().map((c) => c.kind),
    emit: options.onEvent ?? (() => {}), signal: options.signal ?? new AbortController().signal, started: Date.now(),
    cache: options.cache, fromCache,
  };
}

/**
 * sha256 over a model.json and the weight files its manifest names, so a changed model reruns
 * what reads it and an unrelated file beside it (the recipe, notes) does not.
 */
function hashModelDir(modelJson: string): string {
  let text: Buffer;
  try {
    text = readFileSync(modelJson);
  } catch {
    return 'unreadable';
  }
  const parts = [`model.json ${sha256(text)}`];
  for (const file of manifestPaths(text)) {
    try {
      parts.push(`${file} ${sha256(readFileSync(join(dirname(modelJson), file)))}`);
    } catch {
      parts.push(`${file} unreadable`);
    }
  }
  return sha256(parts.join('\n'));
}

/** The weight files a model.json's manifest lists (none when it does not parse: loading says why). */
function manifestPaths(text: Buffer): string[] {
  try {
    const json = JSON.parse(text.toString('utf8')) as { weightsManifest?: Array<{ paths?: unknown }> };
    return (json.weightsManifest ?? []).flatMap((g) => (Array.isArray(g.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : []));
  } catch {
    return [];
  }
}

/**
 * The run directory's finding, or, when it holds no checkpoint of this `fingerprint`, the shared
 * cache's entry for it (its record handed to `keep`; the run copies it into the run directory).
 */
function withSharedCache(local: StageOnDisk, fingerprint: string, cache: StageCache | undefined, keep: (record: StageRecord) => void): StageOnDisk {
  const c = local.checkpoint;
  if (!cache || (c.kind === 'valid' && c.fingerprint === fingerprint)) return local;
  const hit = cache.get(fingerprint);
  if (!hit) return local;
  let record: StageRecord;
  try {
    record = decodeStageRecord(hit.files);
  } catch {
    return local;
  }
  keep(record);
  return { ...local, checkpoint: { kind: 'valid', fingerprint, params: record.params, provenance: record.provenance, from: 'shared-cache' } };
}

/**
 * What is on disk for a stage: its checkpoint (every file verified, read once; its record handed
 * to `keep`) and the newest epoch checkpoint of an unfinished run.
 */
function stageOnDisk(dir: string, keep: (record: StageRecord) => void): StageOnDisk {
  let checkpoint: StageOnDisk['checkpoint'];
  if (!existsSync(dir)) {
    checkpoint = { kind: 'missing' };
  } else {
    try {
      const { manifest, files } = readCheckpoint(dir);
      const record = decodeStageRecord(files);
      keep(record);
      checkpoint = { kind: 'valid', fingerprint: manifest.fingerprint, params: record.params, provenance: record.provenance };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      checkpoint = { kind: 'invalid', reason: code === 'ENOENT' ? 'incomplete: no manifest' : (err as Error).message };
    }
  }
  const latest = latestSnapshot(snapshotRoot(dir));
  return { checkpoint, ...(latest ? { snapshot: { epoch: latest.epoch, fingerprint: latest.fingerprint } } : {}) };
}
