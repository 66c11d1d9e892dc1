import { join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { paretoFront } from './pareto.js';
import { renderSweepHtml, sweepReport } from './report.js';
import type { SweepReport, SweepTrial } from './report.js';
import { trialSets } from './spec.js';
import type { SweepSpec, TrialSpec } from './spec.js';
import { completedTrial, runTrialProcess } from './trial.js';
import type { TrialJob, TrialResult } from './trial.js';

/** A sweep's progress, as `--json` prints it. */
export type SweepEvent =
  | { event: 'sweep-start'; out: string; trials: number; done: number }
  | { event: 'trial-start'; index: number; dir: string; values: Record<string, unknown> }
  | { event: 'trial-end'; index: number; dir: string; status: string; reused: boolean; metrics?: Record<string, unknown>; stages?: Record<string, string>; error?: string }
  | { event: 'sweep-end'; out: string; pareto: number[]; failed: number };

/** Runs the trials not yet done and reports each as it ends (locally, or through a queue). */
export interface TrialExecutor {
  execute(pending: Array<{ trial: TrialSpec; job: TrialJob }>, onStart: (trial: TrialSpec) => void, onEnd: (trial: TrialSpec, result: TrialResult) => void): Promise<void>;
}

/** Options of {@link runSweep}. */
export interface SweepOptions {
  /** The sweep's directory (trials/ and sweep.json, sweep.html go there). */
  out: string;
  /** The shared stage cache every trial uses. */
  cache?: string;
  backend?: string;
  emit: (event: SweepEvent) => void;
  executor: TrialExecutor;
}

/** Runs trials `workers` at a time, each a `condense run` child process. */
export function localExecutor(workers: number): TrialExecutor {
  return {
    async execute(pending, onStart, onEnd) {
      const queue = [...pending];
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          onStart(next.trial);
          onEnd(next.trial, await runTrialProcess(next.job));
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
    },
  };
}

/**
 * Runs a sweep: trials whose directory already holds their complete run are taken as they are
 * (an interrupted sweep continues where it stopped), the others run through `executor`;
 * sweep.json and sweep.html are rewritten as each trial ends.
 */
export async function runSweep(spec: SweepSpec, options: SweepOptions): Promise<SweepReport> {
  const out = resolve(options.out);
  const trials: SweepTrial[] = spec.trials.map((t) => ({ index: t.index, dir: t.dir, values: t.values, status: 'pending' }));
  const jobOf = (t: TrialSpec): TrialJob => ({
    recipe: spec.recipe, out: join(out, t.dir), set: trialSets(spec, t),
    ...(options.cache ? { cache: options.cache } : {}), ...(options.backend ? { backend: options.backend } : {}),
  });
  const record = (t: TrialSpec, result: TrialResult, reused: boolean) => {
    Object.assign(trials[t.index]!, result);
    options.emit({ event: 'trial-end', index: t.index, dir: t.dir, status: result.status, reused, metrics: result.metrics, stages: result.stages, ...(result.error ? { error: result.error } : {}) });
    write(spec, out, trials);
  };
  const pending: Array<{ trial: TrialSpec; job: TrialJob }> = [];
  for (const t of spec.trials) {
    const done = completedTrial(jobOf(t));
    if (done) Object.assign(trials[t.index]!, done);
    else pending.push({ trial: t, job: jobOf(t) });
  }
  options.emit({ event: 'sweep-start', out, trials: trials.length, done: trials.length - pending.length });
  write(spec, out, trials);
  await options.executor.execute(pending,
    (t) => options.emit({ event: 'trial-start', index: t.index, dir: t.dir, values: t.values }),
    (t, result) => record(t, result, false));
  const report = write(spec, out, trials);
  options.emit({ event: 'sweep-end', out, pareto: report.pareto, failed: trials.filter((t) => t.status === 'failed').length });
  return report;
}

function write(spec: SweepSpec, out: string, trials: SweepTrial[]): SweepReport {
  const finished = trials.map((t) => (t.status === 'done' || t.status === 'gates-failed' ? (t.metrics as Record<string, number> | undefined) : undefined));
  const report = sweepReport({ ...spec, recipe: relative(out, spec.recipe) || spec.recipe }, trials, paretoFront(finished, spec.objectives));
  writeFileAtomic(join(out, 'sweep.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(join(out, 'sweep.html'), renderSweepHtml(report, spec.objectives));
  return report;
}
