import { join } from 'node:path';
import { CondenseError, InterruptedError, StageFailedError } from '../errors.js';
import { AbortedError } from '../model/fit.js';
import { loadGraphModelFromPath } from '../model/graph-model.js';
import { loadModelFor } from '../model/io.js';
import type { StageContext, StageDefinition, StageResult, StageSnapshot } from '../stages/types.js';
import { stageParams } from '../stages/walk.js';
import { freshState } from '../state/codecs.js';
import { withDiskErrors } from '../store/disk-errors.js';
import type { ModelState } from '../types/model-state.js';
import { deriveSeed } from '../util/prng.js';
import type { RunContext } from './context.js';
import { resolvePath } from './context.js';
import type { PlanStep } from './plan.js';
import { latestSnapshot, readSnapshot, removeSnapshots, snapshotRoot, writeSnapshot } from './snapshots.js';

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
  try {
    const result = await definition.run(ctx);
    return { definition, params, result, seconds: (performance.now() - t0) / 1000, resumed: resume !== undefined };
  } catch (err) {
    if (err instanceof AbortedError || run.signal.aborted) throw new InterruptedError('a signal');
    if (err instanceof CondenseError) throw err;
    throw new StageFailedError(step.name, err);
  } finally {
    await definition.cleanup?.(ctx);
  }
}

function stageContext(
  run: RunContext, step: PlanStep, params: Record<string, unknown>, input: ModelState,
  loadStage: (name: string) => Promise<ModelState>, resume: StageSnapshot | undefined,
): StageContext<Record<string, unknown>> {
  const { loaded, data, registry } = run;
  const snapshots = join(run.out, snapshotRoot(step.dir));
  return {
    name: step.name, params, seed: deriveSeed(loaded.recipe.seed, `stage:${step.name}`), recipe: loaded.recipe, input, data,
    loadStageModel: loadStage,
    freshState: (model) => freshState(model, registry.stateCodecs()),
    loadModelPath: (path) => loadModelFor(resolvePath(loaded.dir, path), data, { task: loaded.recipe.task }),
    loadGraphModelPath: (path) => loadGraphModelFromPath(resolvePath(loaded.dir, path)),
    progress: (p) => run.emit({ event: 'progress', index: step.index, name: step.name, ...p }),
    resume,
    saveSnapshot: async (snapshot) => withDiskErrors(`an epoch checkpoint of stage "${step.name}"`,
      () => writeSnapshot(snapshots, step.fingerprint, snapshot, run.codecs)),
    signal: run.signal,
  };
}
