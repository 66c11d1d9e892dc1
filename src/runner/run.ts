import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { selectBackend } from '../backend/select.js';
import type { BackendInfo, BackendRequest } from '../backend/select.js';
import { loadDataset } from '../data/index.js';
import type { Dataset } from '../data/types.js';
import { CondenseError, InterruptedError, StageFailedError, UsageError } from '../errors.js';
import { buildBuiltinModel } from '../model/builtin.js';
import { AbortedError } from '../model/fit.js';
import { loadModelFromPath } from '../model/io.js';
import { sizeStats } from '../model/evaluate.js';
import type { LoadedRecipe } from '../recipe/load.js';
import type { StageRegistry } from '../stages/registry.js';
import type { Metrics, ModelState, StageDefinition, StageResult, StageSnapshot } from '../stages/types.js';
import { readCheckpoint, writeCheckpoint } from '../store/checkpoint.js';
import { sweepTemp } from '../store/atomic.js';
import { sha256 } from '../util/hash.js';
import { deriveSeed } from '../util/prng.js';
import type { RunEvent, StageStatus } from './events.js';
import { initialFingerprint } from './fingerprint.js';
import { finishRun } from './finish.js';
import { checkSelectors, quickMetrics } from './inspect.js';
import { planStages } from './plan.js';
import type { PlanStep, StageOnDisk } from './plan.js';
import { latestSnapshot, readSnapshot, removeSnapshots, snapshotRoot, writeSnapshot } from './snapshots.js';
import { acquireRunLock } from '../store/lock.js';
import { withDiskErrors } from '../store/disk-errors.js';
import { decodeStageOutput, decodeStageRecord, encodeStageOutput } from './state-io.js';
import type { StageRecord } from './state-io.js';

/** Options of {@link runRecipe}. */
export interface RunOptions {
  registry: StageRegistry;
  /** Run directory (default `runs/<name>` under the current directory). */
  out?: string;
  /** Overrides the recipe's `backend`. */
  backend?: BackendRequest;
  /** Continue an interrupted stage from its newest epoch checkpoint. */
  resume?: boolean;
  onEvent?: (event: RunEvent) => void;
  /** Aborting stops training at the next batch; the run then throws InterruptedError. */
  signal?: AbortSignal;
}

/** One stage's outcome as the report lists it. */
export interface StageOutcome extends StageRecord {
  status: StageStatus;
}

/** Everything a run knows once its stages are done. */
export interface RunContext {
  loaded: LoadedRecipe;
  out: string;
  backend: BackendInfo;
  data: Dataset;
  steps: PlanStep[];
  outcomes: StageOutcome[];
  started: number;
}

/** The inputs a run is planned from: backend loaded, data read, the initial model's fingerprint. */
export async function prepareRun(loaded: LoadedRecipe, options: Pick<RunOptions, 'registry' | 'out' | 'backend' | 'resume'>) {
  const { recipe } = loaded;
  const out = runDirectory(loaded, options.out);
  const backend = await selectBackend(options.backend ?? recipe.backend);
  const data = loadDataset(recipe.data, recipe.seed, loaded.dir);
  const modelPath = recipe.model.path ? resolvePath(loaded.dir, recipe.model.path) : undefined;
  const initial = initialFingerprint(recipe.model, modelPath ? hashModelDir(modelPath) : undefined, data.fingerprint, recipe.seed, backend.name);
  const records = new Map<string, StageRecord>();
  const steps = planStages(recipe, options.registry, { initial, data: data.fingerprint, backend: backend.name, resume: options.resume },
    (dir) => stageOnDisk(join(out, dir), (record) => records.set(dir, record)));
  return { out, backend, data, steps, modelPath, records };
}

/**
 * Runs a loaded recipe into its run directory: reuses stages whose checkpoint matches, runs the
 * rest in order, checkpoints each, then writes the final model and the reports.
 */
export async function runRecipe(loaded: LoadedRecipe, options: RunOptions) {
  const started = Date.now();
  // Lock before planning: planning reads checkpoints another writer could be replacing.
  const dir = runDirectory(loaded, options.out);
  const lock = withDiskErrors(`the lock file in ${dir}`, () => acquireRunLock(dir));
  try {
    const prepared = await prepareRun(loaded, options);
    const conflicts = prepared.steps.filter((s) => s.conflict).map((s) => s.conflict!);
    if (conflicts.length) {
      throw new UsageError(`cannot resume: ${conflicts.join('; ')}`, { hint: 'run without --resume to restart the stage from its start' });
    }
    return await executeRun(loaded, options, { ...prepared, started });
  } finally {
    lock.release();
  }
}

/** The run directory: `--out`, or `runs/<name>` under the current directory. */
export function runDirectory(loaded: LoadedRecipe, out?: string): string {
  return resolve(out ?? join('runs', loaded.recipe.name));
}

async function executeRun(
  loaded: LoadedRecipe,
  options: RunOptions,
  prepared: Awaited<ReturnType<typeof prepareRun>> & { started: number },
) {
  const { out, backend, data, steps, modelPath, started, records } = prepared;
  const emit = options.onEvent ?? (() => {});
  const { recipe } = loaded;
  mkdirSync(join(out, 'stages'), { recursive: true });
  sweepTemp(join(out, 'stages'));
  const initialModel = async (): Promise<ModelState> => ({
    model: modelPath ? await loadModelFromPath(modelPath) : buildBuiltinModel(recipe.model, data.inputShape, data.numClasses, recipe.seed, data.vocabSize),
    masks: new Map(),
    quantization: new Map(),
  });
  let state = await initialModel();
  let stateIndex = -1;
  checkSelectors(loaded, state.model);
  emit({ event: 'run-start', name: recipe.name, out, backend: backend.name, backendVersion: backend.version,
    stages: steps.map((s) => ({ name: s.name, type: s.type, action: s.action, reason: s.reason })) });
  const loadStage = async (index: number) => decodeStageOutput(readCheckpoint(join(out, steps[index]!.dir)).files);
  const outcomes: StageOutcome[] = [];
  for (const step of steps) {
    const stage = recipe.stages[step.index]!;
    emit({ event: 'stage-start', index: step.index, name: step.name, type: step.type, action: step.action });
    if (step.action === 'cached') {
      const record = records.get(step.dir)!;
      outcomes.push({ ...record, status: 'cached' });
      emit({ event: 'stage-end', index: step.index, name: step.name, type: step.type, status: 'cached', seconds: record.seconds, metrics: record.metrics });
      continue;
    }
    if (stateIndex !== step.index - 1) {
      state.model.dispose();
      state = await loadStage(step.index - 1);
    }
    const snapshots = join(out, snapshotRoot(step.dir));
    const resume = step.action === 'resume' ? readSnapshot(latestSnapshot(snapshots)!.dir) : undefined;
    if (!resume) removeSnapshots(snapshots);
    const definition = options.registry.get(stage.type) as StageDefinition;
    const t0 = performance.now();
    const { name: _n, type: _t, ...params } = stage;
    let result;
    try {
      result = await definition.run({
        name: step.name, params, seed: deriveSeed(recipe.seed, `stage:${step.name}`), recipe, input: state, data,
        loadStageModel: async (name) => loadStage(steps.findIndex((s) => s.name === name)),
        loadModelPath: (path) => loadModelFromPath(resolvePath(loaded.dir, path)),
        progress: (p) => emit({ event: 'progress', index: step.index, name: step.name, ...p }),
        resume,
        saveSnapshot: async (snapshot) => writeSnapshotOrFail(snapshots, step.fingerprint, snapshot, step.name),
        signal: options.signal ?? new AbortController().signal,
      });
    } catch (err) {
      if (err instanceof AbortedError || options.signal?.aborted) throw new InterruptedError('a signal');
      if (err instanceof CondenseError) throw err;
      throw new StageFailedError(step.name, err);
    }
    const metrics = await stageMetrics(definition, result, outcomes.at(-1)?.metrics, data);
    const record: StageRecord = { stage: step.name, type: step.type, fingerprint: step.fingerprint, params, seconds: (performance.now() - t0) / 1000, metrics, history: result.history ?? [] };
    const files = await encodeStageOutput(result.state, record, result.artifacts);
    withDiskErrors(`the checkpoint of stage "${step.name}"`, () => writeCheckpoint(join(out, step.dir), step.fingerprint, files));
    removeSnapshots(snapshots);
    const status: StageStatus = resume ? 'resumed' : 'ran';
    if (result.state.model !== state.model) state.model.dispose();
    state = result.state;
    stateIndex = step.index;
    outcomes.push({ ...record, status });
    emit({ event: 'stage-end', index: step.index, name: step.name, type: step.type, status, seconds: record.seconds, metrics });
  }
  if (stateIndex !== steps.length - 1) {
    state.model.dispose();
    state = await loadStage(steps.length - 1);
  }
  const ctx: RunContext = { loaded, out, backend, data, steps, outcomes, started };
  const summary = await finishRun(ctx, state);
  state.model.dispose();
  emit({ event: 'run-end', out, final: summary.report.final.metrics, gates: summary.report.gates, exitCode: summary.exitCode, seconds: (Date.now() - started) / 1000 });
  return summary;
}

function resolvePath(dir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dir, path);
}

/** sha256 over a model.json and the files beside it, so a changed model file reruns every stage. */
function hashModelDir(modelJson: string): string {
  try {
    const dir = dirname(modelJson);
    return sha256(readdirSync(dir).sort().map((f) => {
      try {
        return f + sha256(readFileSync(join(dir, f)));
      } catch {
        return f;
      }
    }).join('\n'));
  } catch {
    return 'unreadable';
  }
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
      checkpoint = { kind: 'valid', fingerprint: manifest.fingerprint, params: record.params };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      checkpoint = { kind: 'invalid', reason: code === 'ENOENT' ? 'incomplete: no manifest' : (err as Error).message };
    }
  }
  const latest = latestSnapshot(snapshotRoot(dir));
  return { checkpoint, ...(latest ? { snapshot: { epoch: latest.epoch, fingerprint: latest.fingerprint } } : {}) };
}

function writeSnapshotOrFail(root: string, fingerprint: string, snapshot: StageSnapshot, stage: string): void {
  withDiskErrors(`an epoch checkpoint of stage "${stage}"`, () => writeSnapshot(root, fingerprint, snapshot));
}

/**
 * A stage's metrics: what it measured, plus held-out accuracy and loss, parameter counts and
 * exported size. A stage that leaves the model as it was (`changesModel: false`) inherits those
 * from the stage before it instead of measuring them again.
 */
async function stageMetrics(definition: StageDefinition, result: StageResult, previous: Metrics | undefined, data: Dataset): Promise<Metrics> {
  const base = definition.changesModel === false && previous
    ? previous
    : { ...quickMetrics(result.state.model, data), ...(await sizeStats(result.state)) };
  return { ...base, ...result.metrics };
}
