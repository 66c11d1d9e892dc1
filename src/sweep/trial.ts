import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../recipe/extends.js';
import type { Metrics, Report } from '../types/records.js';

/** What running one trial needs; plain JSON, so a queue can carry it to another machine. */
export interface TrialJob {
  /** The recipe file, absolute. */
  recipe: string;
  /** The trial's run directory, absolute. */
  out: string;
  set: string[];
  /** The shared stage cache directory (absent: the worker's default). */
  cache?: string;
  backend?: string;
}

/** How a trial ended. */
export interface TrialResult {
  /** `done` (exit 0), `gates-failed` (exit 3: ran, a gate not met) or `failed`. */
  status: 'done' | 'gates-failed' | 'failed';
  exitCode: number;
  /** Each stage's status in the trial's run: ran, cached, resumed. */
  stages: Record<string, string>;
  /** The final metrics (report.json's final.metrics). */
  metrics?: Metrics;
  /** The end of the run's stderr, when it failed. */
  error?: string;
}

const CONDENSE_BIN = join(PACKAGE_ROOT, 'bin', 'condense.mjs');

function sameSet(a: unknown, b: string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((s, i) => s === b[i]);
}

/** The result of a trial whose run directory already holds a complete run with these --set values. */
export function completedTrial(job: TrialJob): TrialResult | undefined {
  const lockFile = join(job.out, 'run.lock.json');
  const reportFile = join(job.out, 'report.json');
  if (!existsSync(lockFile) || !existsSync(reportFile)) return undefined;
  try {
    const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { recipe?: { set?: unknown } };
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
    if (!sameSet(lock.recipe?.set, job.set) || (report.status && report.status !== 'complete')) return undefined;
    const passed = report.gates.every((g) => g.passed);
    return { status: passed ? 'done' : 'gates-failed', exitCode: passed ? 0 : 3, stages: stageStatuses(report), metrics: report.final.metrics };
  } catch {
    return undefined;
  }
}

function stageStatuses(report: Report): Record<string, string> {
  return Object.fromEntries(report.stages.map((s) => [s.name, s.status]));
}

/**
 * Runs a trial as a separate `condense run --resume` process (so a trial interrupted earlier
 * continues from its epoch checkpoints), against the shared cache; the child exits if this
 * process dies. Resolves when it ends, with its status and final metrics.
 */
export function runTrialProcess(job: TrialJob, onLine?: (event: Record<string, unknown>) => void, onSpawn?: (pid: number) => void): Promise<TrialResult> {
  const args = [CONDENSE_BIN, 'run', job.recipe, '--out', job.out, '--resume', '--json', ...job.set.flatMap((s) => ['--set', s])];
  if (job.cache) args.push('--cache', job.cache);
  if (job.backend) args.push('--backend', job.backend);
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, CONDENSE_PARENT_WATCH: '1' } });
  if (child.pid !== undefined) onSpawn?.(child.pid);
  let stderr = '';
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        onLine?.(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not an event line.
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const exitCode = code ?? 128;
      const done = exitCode === 0 || exitCode === 3 ? completedTrial(job) : undefined;
      resolve(done ?? { status: 'failed', exitCode, stages: {}, error: stderr.trim().split('\n').slice(-6).join('\n') || `killed by ${signal}` });
    });
  });
}
