import { UsageError } from '../errors.js';

/** `condense worker --queue URL [--concurrency N]`: runs sweep trials from the queue until stopped (SIGINT/SIGTERM). */
export async function workerCommand(flags: { queue: string; concurrency?: string }): Promise<void> {
  const concurrency = flags.concurrency === undefined ? 1 : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency ${flags.concurrency}: expected an integer ≥ 1`);
  const { startWorker, TRIAL_QUEUE } = await import('../sweep/queue.js');
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const { worker, close } = startWorker(flags.queue, { concurrency, log });
  await worker.waitUntilReady();
  log(`worker ${process.pid}: taking trials from ${TRIAL_QUEUE} at ${flags.queue}, ${concurrency} at a time`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`worker ${process.pid}: ${signal}: finishing the trials in hand, then stopping`);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await close();
}
