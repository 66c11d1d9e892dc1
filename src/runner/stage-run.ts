import { join } from 'node:path';
import { CondenseError, InterruptedError, RecipeError, StageFailedError, UsageError } from '../errors.js';
import { AbortedError } from '../model/fit.js';
import { loadGraphModelFromPath } from '../model/graph/load.js';
import { loadModelFor } from '../model/fits-data.js';
import type { StageContext, StageDefinition, StageResult, StageSnapshot } from '../stages/types.js';
import { INITIAL_MODEL, stageParams } from '../stages/walk.js';
import { freshState, trainingConstraints, weightsChanged } from '../state/codecs.js';
import { dataFor } from '../state/vocabulary.js';
import { withDiskErrors } from '../store/disk-errors.js';
import type { ModelState } from '../types/model-state.js';
import { deriveSeed } from '../util/prng.js';
import type { RunContext } from './context.js';
import { resolvePath } from './context.js';
import type { PlanStep } from './plan.js';
import { latestSnapshot, readSnapshot, removeSnapshots, snapshotRoot, writeSnapshot } from './snapshots.js';
import { decodeStageRecord } from './state-io.js';
import { readCheckpoint } from '../store/checkpoint.js';
import type { StageRecord } from '../types/records.js';

/** A stage's result and how it came about. */
export interface StageRun {
  definition: StageDefinition;
  params: Record<string, unknown>;
  result: StageResult;
  seconds: number;
  resumed: boolean;
}

/**
 * Runs one stage on `input`: continues from its newest epoch checkpoint when the plan says
 * resume (else clears stale ones), maps what it throws to condense's errors, and always runs the
 * stage's cleanup.
 */
export async function runStage(run: RunContext, step: PlanStep, input: ModelState, loadStage: (name: string) => Promise<ModelState>): Promise<StageRun> {
  const snapshots = join(run.out, snapshotRoot(step.dir));
  const resume = step.action === 'resume' ? readSnapshot(latestSnapshot(snapshots)!.dir, run.codecs) : undefined;
  if (!resume) removeSnapshots(snapshots);
  const stage = run.loaded.recipe.stages[step.index]!;
  const definition = run.registry.get(stage.type) as StageDefinition;
  const params = stageParams(stage);
  const ctx = stageContext(run, step, params, input, loadStage, resume);
  const t0 = performance.now();
  let failure: unknown;
  try {
    const result = await definition.run(ctx);
    return { definition, params, result, seconds: (performance.now() - t0) / 1000, resumed: resume !== undefined };
  } catch (err) {
    failure = err;
    throw stageError(step.name, err, run.signal);
  } finally {
    await cleanUp(definition, ctx, step.name, failure);
  }
}

/** What a stage threw, as the error the CLI reports: interrupted, the user's mistake (named), or a failure. */
function stageError(stage: string, err: unknown, signal: AbortSignal): unknown {
  if (err instanceof AbortedError || signal.aborted) return new InterruptedError('a signal');
  if (err instanceof UsageError && !(err instanceof RecipeError) && !err.message.startsWith('stage "')) {
    return new UsageError(`stage "${stage}": ${err.message}`, { hint: err.hint, cause: err });
  }
  if (err instanceof CondenseError) return err;
  return new StageFailedError(stage, err);
}

/**
 * Runs the stage's cleanup. A cleanup that throws after a successful run fails the stage; after
 * a failed one it must not hide the first error, so it is dropped (the first error says why).
 */
async function cleanUp(definition: StageDefinition, ctx: StageContext<Record<string, unknown>>, stage: string, failure: unknown): Promise<void> {
  try {
    await definition.cleanup?.(ctx);
  } catch (err) {
    if (failure === undefined) throw new StageFailedError(stage, new Error(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
  }
}

function stageContext(
  run: RunContext, step: PlanStep, params: Record<string, unknown>, input: ModelState,
  loadStage: (name: string) => Promise<ModelState>, resume: StageSnapshot | undefined,
): StageContext<Record<string, unknown>> {
  const { loaded, data, registry } = run;
  const snapshots = join(run.out, snapshotRoot(step.dir));
  return {
    name: step.name, params, seed: deriveSeed(loaded.recipe.seed, `stage:${step.name}`), recipe: loaded.recipe, input, data: dataFor(data, input),
    loadStageModel: loadStage,
    stageRecord: (name) => stageRecordOf(run, name),
    outputsOf: (stage) => run.outputs.get(stage ?? (step.index > 0 ? run.steps[step.index - 1]!.name : INITIAL_MODEL)) ?? {},
    freshState: (model) => freshState(model, registry.stateCodecs()),
    weightsChanged: (state, changes) => weightsChanged(state, registry.stateCodecs(), changes),
    trainingConstraints: (state) => trainingConstraints(state, registry.stateCodecs()),
    loadModelPath: (path) => loadModelFor(resolvePath(loaded.dir, path), data, { task: loaded.recipe.task }),
    loadGraphModelPath: (path) => loadGraphModelFromPath(resolvePath(loaded.dir, path)),
    progress: (p) => run.emit({ event: 'progress', index: step.index, name: step.name, ...p }),
    resume,
    saveSnapshot: async (snapshot) => withDiskErrors(`an epoch checkpoint of stage "${step.name}"`,
      () => writeSnapshot(snapshots, step.fingerprint, snapshot, run.codecs)),
    signal: run.signal,
  };
}

/** The record of the checkpoint of stage `name` (an earlier stage: it has one by now). */
function stageRecordOf(run: RunContext, name: string): StageRecord {
  const step = run.steps.find((s) => s.name === name);
  if (!step) throw new Error(`internal error: no stage "${name}" in the plan`);
  return decodeStageRecord(readCheckpoint(join(run.out, step.dir)).files);
}
