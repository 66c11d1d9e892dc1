import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { UsageError } from '../errors.js';
import { hashValue } from '../util/hash.js';
import type { TrialExecutor } from './run.js';
import { runTrialProcess } from './trial.js';
import type { TrialJob, TrialResult } from './trial.js';

/** The BullMQ queue sweeps put trials on and workers take them from. */
export const TRIAL_QUEUE = 'condense-trials';

/** Milliseconds a worker's lock on a trial lasts without renewal (CONDENSE_QUEUE_LOCK_MS; BullMQ's default 30 s). */
const LOCK_MS = Number(process.env.CONDENSE_QUEUE_LOCK_MS ?? 30_000);

/** A Redis connection for BullMQ from `redis://[user:pass@]HOST:PORT[/DB]`. */
export function redisConnection(url: string): Redis {
  if (!/^rediss?:\/\//.test(url)) throw new UsageError(`--queue ${url}: expected redis://HOST:PORT`, { hint: 'e.g. --queue redis://127.0.0.1:6379' });
  // BullMQ blocks on Redis: its connections must retry forever instead of failing commands.
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** The job id of a trial: the same trial (same recipe, directory, values) is the same job, enqueued once. */
function jobId(job: TrialJob): string {
  return `trial-${hashValue(job).slice(0, 24)}`;
}

/**
 * Runs a sweep's trials through BullMQ: each becomes a job (enqueued once: an interrupted sweep
 * re-enqueues only what is not there), `condense worker`s on any machine run them, and each
 * result comes back as the job's return value.
 */
export function queueExecutor(url: string, log: (line: string) => void): { executor: TrialExecutor; close: () => Promise<void> } {
  const connection = redisConnection(url);
  const queue = new Queue<TrialJob, TrialResult>(TRIAL_QUEUE, { connection });
  const eventsConnection = connection.duplicate();
  const events = new QueueEvents(TRIAL_QUEUE, { connection: eventsConnection });
  const executor: TrialExecutor = {
    async execute(pending, onStart, onEnd) {
      await events.waitUntilReady();
      const byId = new Map(pending.map((p) => [jobId(p.job), p.trial]));
      const started = new Set<string>();
      events.on('active', ({ jobId: id }) => {
        const trial = byId.get(id);
        if (trial && !started.has(id)) {
          started.add(id);
          onStart(trial);
        }
      });
      await Promise.all(pending.map(async ({ trial, job }) => {
        const added = await queue.add(`trial ${trial.index + 1}`, job, { jobId: jobId(job), attempts: 1, removeOnComplete: false, removeOnFail: false });
        let result: TrialResult;
        try {
          result = (await added.waitUntilFinished(events)) as TrialResult;
        } catch (err) {
          result = { status: 'failed', exitCode: 1, stages: {}, error: (err as Error).message };
        }
        onEnd(trial, result);
      }));
    },
  };
  log(`condense: trials enqueued on ${TRIAL_QUEUE} at ${url}; start workers with: condense worker --queue ${url}`);
  return {
    executor,
    close: async () => {
      // Connections handed to BullMQ are ours to close: left open they keep the process alive.
      await events.close();
      await queue.close();
      eventsConnection.disconnect();
      connection.disconnect();
    },
  };
}

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  concurrency: number;
  log: (line: string) => void;
}

/**
 * A worker: takes trials off the queue, `concurrency` at a time, each run as a `condense run
 * --resume` child process against the shared cache. A trial whose worker died is handed to
 * another by BullMQ's stalled-job check, and resumes from its epoch checkpoints.
 */
export function startWorker(url: string, options: WorkerOptions): { worker: Worker<TrialJob, TrialResult>; close: () => Promise<void> } {
  const connection = redisConnection(url);
  const worker = new Worker<TrialJob, TrialResult>(TRIAL_QUEUE, async (job: Job<TrialJob, TrialResult>) => {
    options.log(`${job.id} ${job.data.out}: started`);
    const result = await runTrialProcess(job.data, undefined, (pid) => options.log(`${job.id} ${job.data.out}: running as pid ${pid}`));
    if (result.status === 'failed') throw new Error(`trial failed (exit ${result.exitCode}): ${result.error ?? ''}`);
    options.log(`${job.id} ${job.data.out}: ${result.status}`);
    return result;
  }, {
    connection, concurrency: options.concurrency,
    lockDuration: LOCK_MS, stalledInterval: Math.max(1000, Math.floor(LOCK_MS / 2)),
    // A trial is handed over after each worker death, up to this many times, then fails.
    maxStalledCount: 5,
  });
  worker.on('failed', (job, err) => options.log(`${job?.id ?? '?'}: failed: ${err.message.split('\n')[0]}`));
  return { worker, close: async () => {
    await worker.close();
    connection.disconnect();
  } };
}
