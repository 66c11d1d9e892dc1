import { basename, join } from 'node:path';
import { UsageError } from '../errors.js';
import { commandCache } from '../store/cache-dir.js';
import { localExecutor, runSweep } from '../sweep/run.js';
import type { SweepEvent, TrialExecutor } from '../sweep/run.js';
import { readSweep } from '../sweep/spec.js';

interface SweepFlags {
  out?: string;
  workers?: string;
  cache?: string | boolean;
  backend?: string;
  queue?: string;
  json?: boolean;
}

function plainLine(e: SweepEvent): string {
  if (e.event === 'sweep-start') return `condense sweep → ${e.out}: ${e.trials} trials (${e.done} already done)`;
  if (e.event === 'trial-start') return `[${e.index + 1}] ${e.dir} started`;
  if (e.event === 'trial-end') {
    const ran = Object.entries(e.stages ?? {}).map(([name, status]) => `${name} ${status}`).join(', ');
    return `[${e.index + 1}] ${e.dir} ${e.status}${ran ? ` (${ran})` : ''}${e.error ? `\n  ${e.error.replace(/\n/g, '\n  ')}` : ''}`;
  }
  return `sweep done: Pareto front ${e.pareto.map((i) => `#${i + 1}`).join(', ') || 'empty'}${e.failed ? `; ${e.failed} trial(s) failed` : ''} → ${join(e.out, 'sweep.html')}`;
}

/** `condense sweep SWEEP.yaml`: every trial of the space, N at a time (or through a queue), then sweep.json and sweep.html. */
export async function sweepCommand(file: string, flags: SweepFlags): Promise<void> {
  const spec = readSweep(file);
  const workers = flags.workers === undefined ? 1 : Number(flags.workers);
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers ${flags.workers}: expected an integer ≥ 1`);
  // Every trial shares one cache: the stages their recipes have in common run once.
  const cache = commandCache(flags.cache)?.root;
  let executor: TrialExecutor = localExecutor(workers);
  let close = async () => {};
  if (flags.queue) {
    const { queueExecutor } = await import('../sweep/queue.js');
    ({ executor, close } = queueExecutor(flags.queue, (line) => process.stderr.write(line + '\n')));
  }
  const emit = (e: SweepEvent) => process.stdout.write((flags.json ? JSON.stringify(e) : plainLine(e)) + '\n');
  try {
    const report = await runSweep(spec, { out: flags.out ?? join('sweeps', basename(file).replace(/\.ya?ml$/, '')), cache, backend: flags.backend, emit, executor });
    if (report.trials.some((t) => t.status === 'failed')) process.exitCode = 1;
  } finally {
    await close();
  }
}
