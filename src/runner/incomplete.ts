import { join } from 'node:path';
import { InterruptedError, StageFailedError } from '../errors.js';
import { resolvedYaml } from '../recipe/load.js';
import { writeRenderedReports } from '../report/files.js';
import { buildReport, relativeMetrics } from '../report/report.js';
import { scalarsFromStages, scalarsToJsonl } from '../report/scalars.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Baseline, Report, RunFailure, StageOutcome } from '../types/records.js';
import type { RunContext } from './context.js';

/**
 * The report of a run that stopped (a stage threw, or SIGINT/SIGTERM): the stages that finished,
 * the last one's metrics as `final`, no layers (no final model is written) and no gates checked.
 * Sizes are those the stages measured; nothing is loaded or measured here.
 */
export function incompleteReport(run: RunContext, outcomes: StageOutcome[], err: unknown, input?: Baseline): Report {
  const { recipe, hash } = run.loaded;
  const interrupted = err instanceof InterruptedError || run.signal.aborted;
  // The command aborts with the signal's own error ("interrupted by SIGINT"); stages only see "a signal".
  const reason = run.signal.aborted && run.signal.reason instanceof Error ? run.signal.reason : err;
  const failure: RunFailure = {
    ...(err instanceof StageFailedError ? { stage: err.stage } : run.steps[outcomes.length] ? { stage: run.steps[outcomes.length]!.name } : {}),
    message: reason instanceof Error ? reason.message : String(reason),
    notRun: run.steps.slice(outcomes.length).map((s) => s.name),
  };
  const final = { ...(outcomes.at(-1)?.metrics ?? {}) };
  const baseline = input ?? (outcomes[0] ? { stage: outcomes[0].stage, metrics: outcomes[0].metrics } : undefined);
  return buildReport({
    name: recipe.name, backend: run.backend.name, backendVersion: run.backend.version, seed: recipe.seed, recipeHash: hash,
    outcomes, final, gates: [], seconds: (Date.now() - run.started) / 1000,
    ...(baseline ? { baseline, relative: relativeMetrics(baseline.metrics, final) } : {}),
    exported: outcomes.map((o) => (o.metrics.sizeBytes !== undefined && o.metrics.gzipBytes !== undefined ? { sizeBytes: o.metrics.sizeBytes, gzipBytes: o.metrics.gzipBytes } : undefined)),
    status: interrupted ? 'interrupted' : 'failed', failure,
  });
}

/**
 * Writes report.json, scalars.jsonl, recipe.resolved.yaml, report.md and report.html of a run
 * that stopped, so that `condense report` and `condense compare` work on it. Never throws: the
 * error that stopped the run is what the user must see, so a failure here is only warned about.
 */
export function writeIncompleteReport(run: RunContext, outcomes: StageOutcome[], err: unknown, input?: Baseline): void {
  try {
    const report = incompleteReport(run, outcomes, err, input);
    const scalars = scalarsFromStages(report.stages);
    const recipeYaml = resolvedYaml(run.loaded.recipe);
    writeFileAtomic(join(run.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileAtomic(join(run.out, 'scalars.jsonl'), scalarsToJsonl(scalars));
    writeFileAtomic(join(run.out, 'recipe.resolved.yaml'), recipeYaml);
    writeRenderedReports(run.out, { report, scalars, recipeYaml });
  } catch (writeErr) {
    process.stderr.write(`condense: warning: could not write the report of the stopped run: ${writeErr instanceof Error ? writeErr.message : String(writeErr)}\n`);
  }
}
