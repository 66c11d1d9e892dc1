import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { LoadedRecipe } from '../recipe/load.js';
import { sweepTemp } from '../store/atomic.js';
import { readCheckpoint, writeCheckpoint } from '../store/checkpoint.js';
import { acquireRunLock } from '../store/lock.js';
import { withDiskErrors } from '../store/disk-errors.js';
import { endRunScope } from '../util/run-scope.js';
import type { ModelState } from '../types/model-state.js';
import type { Baseline, StageOutcome } from '../types/records.js';
import { INPUT_BASELINE } from '../types/records.js';
import { predictedClassesOf, quickMetrics, sizeStats } from '../model/inspect.js';
import { isGraphModel } from '../model/graph/editable.js';
import { commitStage } from './commit.js';
import { prepareRun, runDirectory } from './context.js';
import type { PrepareOptions, RunContext } from './context.js';
import { finishRun } from './finish.js';
import type { RunSummary } from './finish.js';
import { writeIncompleteReport } from './incomplete.js';
import { INITIAL_MODEL } from '../stages/walk.js';
import { openInitialModel } from './preflight.js';
import { runStage } from './stage-run.js';
import { decodeStageOutput, decodeStageRecord } from './state-io.js';
import type { PlanStep } from './plan.js';

const readStageRecord = (dir: string) => decodeStageRecord(readCheckpoint(dir).files);

export { prepareRun, runDirectory } from './context.js';
export type { RunContext } from './context.js';
export type { StageOutcome } from '../types/records.js';

/** Options of {@link runRecipe}: where, on which backend, resuming or not, events, abort signal. */
export type RunOptions = PrepareOptions;

/**
 * Runs a loaded recipe into its run directory: reuses stages whose checkpoint matches, runs the
 * rest in order, checkpoints each, then writes the final model and the reports.
 */
export async function runRecipe(loaded: LoadedRecipe, options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  // Lock before planning: planning reads checkpoints another writer could be replacing.
  const dir = runDirectory(loaded, options.out);
  const lock = withDiskErrors(`the lock file in ${dir}`, () => acquireRunLock(dir));
  try {
    // The run's time counts loading the backend and the data too.
    const run = { ...(await prepareRun(loaded, options)), started };
    const conflicts = run.steps.filter((s) => s.conflict).map((s) => s.conflict!);
    if (conflicts.length) {
      throw new UsageError(`cannot resume: ${conflicts.join('; ')}`, { hint: 'run without --resume to restart the stage from its start' });
    }
    return await executeRun(run);
  } finally {
    // Run-scoped resources (the browser of browser evaluations) go before the lock does.
    try {
      await endRunScope();
    } finally {
      lock.release();
    }
  }
}

/** The stage loop: each step reused, resumed or run and committed, then the run finished. */
async function executeRun(run: RunContext): Promise<RunSummary> {
  const { out, steps, loaded } = run;
  mkdirSync(join(out, 'stages'), { recursive: true });
  sweepTemp(join(out, 'stages'));
  for (const dir of run.fromCache) copyFromCache(run, steps.find((s) => s.dir === dir)!);
  // The model in hand, disposed however the run ends.
  const held: Held = { state: await openInitialModel(loaded, run.registry, run.data, run.modelPath), index: -1 };
  try {
    const input = run.modelPath ? await inputBaseline(run, held.state) : undefined;
    run.emit({ event: 'run-start', name: loaded.recipe.name, out, backend: run.backend.name, backendVersion: run.backend.version,
      stages: steps.map((s) => ({ name: s.name, type: s.type, action: s.action, reason: s.reason })) });
    const outcomes: StageOutcome[] = [];
    try {
      await runSteps(run, held, outcomes);
    } catch (err) {
      // A stopped run still leaves a report (status failed / interrupted) of what finished.
      writeIncompleteReport(run, outcomes, err, input);
      throw err;
    }
    if (held.index !== steps.length - 1) await hold(held, steps.length - 1, loadStage(run, steps.length - 1));
    const summary = await finishRun(run, outcomes, held.state, input, held.index === steps.length - 1 ? held.files : undefined);
    run.emit({ event: 'run-end', out, final: summary.report.final.metrics, gates: summary.report.gates, exitCode: summary.exitCode, seconds: (Date.now() - run.started) / 1000 });
    return summary;
  } finally {
    held.state.model.dispose();
  }
}

/** The state in hand: which stage's output it is (−1: the initial model), and its exported files if built. */
interface Held {
  state: ModelState;
  index: number;
  files?: Map<string, Uint8Array>;
}

/** Every step in order: cached ones reused from their records, the others run and committed; appends to `outcomes` as each finishes. */
async function runSteps(run: RunContext, held: Held, outcomes: StageOutcome[]): Promise<void> {
  const { steps } = run;
  for (const step of steps) {
    run.emit({ event: 'stage-start', index: step.index, name: step.name, type: step.type, action: step.action });
    if (step.action === 'cached') {
      const record = run.records.get(step.dir)!;
      outcomes.push({ ...record, status: 'cached' });
      run.emit({ event: 'stage-end', index: step.index, name: step.name, type: step.type, status: 'cached', seconds: record.seconds, metrics: record.metrics });
      continue;
    }
    // Another process (a sweep's other trial) may be computing this very stage: wait for it and reuse it.
    const claim = run.cache ? await run.cache.claim(step.fingerprint, run.signal) : undefined;
    try {
      if (claim && reuseFromCache(run, step, outcomes)) continue;
      await runAndCommit(run, step, held, outcomes);
    } finally {
      claim?.release();
    }
  }
}

/** Runs one step on the state in hand, commits it and appends its outcome. */
async function runAndCommit(run: RunContext, step: PlanStep, held: Held, outcomes: StageOutcome[]): Promise<void> {
  const { steps } = run;
  if (held.index !== step.index - 1) await hold(held, step.index - 1, loadStage(run, step.index - 1));
  const done = await runStage(run, step, held.state, (name) => loadStage(run, steps.findIndex((s) => s.name === name)));
  await hold(held, step.index, Promise.resolve(done.result.state));
  const { outcome, files } = await commitStage(run, step, done, outcomes.at(-1)?.metrics);
  held.files = files;
  outcomes.push(outcome);
  run.emit({ event: 'stage-end', index: step.index, name: step.name, type: step.type, status: outcome.status, seconds: outcome.seconds, metrics: outcome.metrics });
}

/**
 * Copies a stage's entry from the shared cache into the run directory, so the run directory holds
 * every checkpoint it reports (reports, `--resume` and `reproduce` read only it).
 */
function copyFromCache(run: RunContext, step: PlanStep): boolean {
  const hit = run.cache?.get(step.fingerprint);
  if (!hit) return false;
  withDiskErrors(`the checkpoint of stage "${step.name}"`, () => writeCheckpoint(join(run.out, step.dir), step.fingerprint, hit.files));
  return true;
}

/** A step planned to run that another process put in the shared cache meanwhile: reused as cached. */
function reuseFromCache(run: RunContext, step: PlanStep, outcomes: StageOutcome[]): boolean {
  if (!copyFromCache(run, step)) return false;
  const record = readStageRecord(join(run.out, step.dir));
  outcomes.push({ ...record, status: 'cached' });
  run.emit({ event: 'stage-end', index: step.index, name: step.name, type: step.type, status: 'cached', seconds: record.seconds, metrics: record.metrics });
  return true;
}

/** Replaces the state in hand (disposing its model unless the new state keeps it). */
async function hold(held: Held, index: number, next: Promise<ModelState>): Promise<void> {
  const state = await next;
  if (state.model !== held.state.model) held.state.model.dispose();
  Object.assign(held, { state, index, files: undefined });
}

/** The model state stage `index`'s checkpoint holds. */
function loadStage(run: RunContext, index: number): Promise<ModelState> {
  return decodeStageOutput(readCheckpoint(join(run.out, run.steps[index]!.dir)).files, run.codecs, run.kinds, run.data.inputShape);
}

/**
 * The model the user brought (`model.path`), measured before any stage: what the answer, the
 * ratios and the relative gates compare with, so a post-training recipe (quantize, evaluate) is
 * judged against the model as given. A builtin starts untrained: its baseline is the first stage.
 */
async function inputBaseline(run: RunContext, state: ModelState): Promise<Baseline> {
  const outputs = run.outputs.get(INITIAL_MODEL);
  // A GraphModel cannot be trained, so what a stage did to it is judged by how often it still agrees with the original.
  if (isGraphModel(state.model)) run.reference = predictedClassesOf(state.model, run.data.test, run.data, outputs);
  return { stage: INPUT_BASELINE, metrics: { ...quickMetrics(state.model, run.data, outputs, run.reference), ...(await sizeStats(state)) } };
}
