import { join } from 'node:path';
import type { Dataset } from '../data/types.js';
import { CondenseError, StageFailedError } from '../errors.js';
import { filesSize, quickMetrics } from '../model/inspect.js';
import { modelFiles } from '../model/io.js';
import type { OutputOptions } from '../model/outputs.js';
import type { StageDefinition, StageResult } from '../stages/types.js';
import { writeCheckpoint } from '../store/checkpoint.js';
import { withDiskErrors } from '../store/disk-errors.js';
import type { Metrics, StageOutcome, StageRecord } from '../types/records.js';
import type { RunContext } from './context.js';
import type { PlanStep } from './plan.js';
import { removeSnapshots, snapshotRoot } from './snapshots.js';
import { encodeStageOutput } from './state-io.js';
import { dataFor } from '../state/vocabulary.js';
import type { StageRun } from './stage-run.js';

/**
 * Makes a stage's result permanent: measures its metrics, writes its checkpoint atomically (the
 * model, every kind of state, its record), then drops its epoch checkpoints.
 */
export async function commitStage(run: RunContext, step: PlanStep, done: StageRun, previous: Metrics | undefined): Promise<{ outcome: StageOutcome; files?: Map<string, Uint8Array> }> {
  const outputs = run.outputs.get(step.name) ?? {};
  const { metrics, files: exported } = await stageMetrics(done.definition, done.result, previous, dataFor(run.data, done.result.state), outputs, run.reference);
  const record: StageRecord = {
    stage: step.name, type: step.type, fingerprint: step.fingerprint, params: done.params, seconds: done.seconds,
    metrics, history: done.result.history ?? [], provenance: step.provenance,
    ...(done.result.browser ? { browser: done.result.browser } : {}),
    ...(done.result.sensitivity ? { sensitivity: done.result.sensitivity } : {}),
  };
  let files: Map<string, Uint8Array>;
  try {
    files = await encodeStageOutput(done.result.state, record, run.codecs, done.result.artifacts);
  } catch (err) {
    // A state kind without a codec, or an unserialisable artifact: the stage's (or plugin's) bug.
    throw err instanceof CondenseError ? err : new StageFailedError(step.name, err);
  }
  withDiskErrors(`the checkpoint of stage "${step.name}"`, () => writeCheckpoint(join(run.out, step.dir), step.fingerprint, files));
  // Shared with every other run directory; a cache that cannot be written only costs reuse.
  run.cache?.put(step.fingerprint, files);
  removeSnapshots(join(run.out, snapshotRoot(step.dir)));
  return { outcome: { ...record, status: done.resumed ? 'resumed' : 'ran' }, ...(exported ? { files: exported } : {}) };
}

/**
 * A stage's metrics: what it measured, plus held-out accuracy and loss, parameter counts and
 * exported size (with the exported files measured, so the run's end need not build them again).
 * With `reference` (a GraphModel input's predicted classes), `agreement` with it too.
 * A stage that leaves the model as it was (`changesModel: false`) inherits those from the stage
 * before it instead of measuring them again.
 */
async function stageMetrics(definition: StageDefinition, result: StageResult, previous: Metrics | undefined, data: Dataset, outputs: OutputOptions, reference?: Int32Array): Promise<{ metrics: Metrics; files?: Map<string, Uint8Array> }> {
  if (definition.changesModel === false && previous) return { metrics: { ...previous, ...result.metrics } };
  const files = await modelFiles(result.state.model, result.state.quantization);
  return { metrics: { ...quickMetrics(result.state.model, data, outputs, reference), ...filesSize(files), ...result.metrics }, files };
}
