import { Listr } from 'listr2';
import type { ListrTaskWrapper } from 'listr2';
import type { Metrics } from '../types/records.js';
import type { RunEvent } from '../runner/events.js';

/** Shows a run's events to someone: a listr2 task list, plain lines, or JSON lines. */
export interface ProgressRenderer {
  handle(event: RunEvent): void;
  /** Called once after the run, with its error if it failed. */
  finish(error?: unknown): Promise<void>;
}

/** Picks the renderer: `json` for --json, listr2 on a terminal, plain lines otherwise. */
export function createRenderer(mode: 'json' | 'tty' | 'plain', write: (line: string) => void = (l) => process.stdout.write(l + '\n')): ProgressRenderer {
  if (mode === 'json') return { handle: (e) => write(JSON.stringify(e)), finish: async () => {} };
  if (mode === 'plain') return plainRenderer(write);
  return new ListrRenderer();
}

/** `accuracy 0.9512 · sparsity 0.900` from whichever of the headline metrics exist. */
function metricSummary(m: Metrics): string {
  const parts: string[] = [];
  if (m.accuracy !== undefined) parts.push(`accuracy ${m.accuracy.toFixed(4)}`);
  if (m.sparsity !== undefined && m.sparsity > 0) parts.push(`sparsity ${m.sparsity.toFixed(3)}`);
  if (m.sizeBytes !== undefined) parts.push(`${m.sizeBytes.toLocaleString('en-US')} bytes`);
  return parts.join(' · ');
}

function progressLine(e: Extract<RunEvent, { event: 'progress' }>): string {
  const parts = [`epoch ${e.epoch}/${e.epochs}`];
  if (e.step !== undefined) parts.push(`step ${e.step}/${e.steps}`);
  if (e.loss !== undefined) parts.push(`loss ${e.loss.toFixed(4)}`);
  if (e.accuracy !== undefined) parts.push(`acc ${e.accuracy.toFixed(4)}`);
  if (e.sparsity !== undefined) parts.push(`sparsity ${e.sparsity.toFixed(3)}`);
  return parts.join(' · ');
}

function runEndLines(e: Extract<RunEvent, { event: 'run-end' }>): string[] {
  return [`done in ${e.seconds.toFixed(1)} s: ${metricSummary(e.final)} → ${e.out}`];
}

function plainRenderer(write: (line: string) => void): ProgressRenderer {
  let total = 0;
  return {
    handle(e) {
      if (e.event === 'run-start') {
        total = e.stages.length;
        write(`condense: ${e.name} → ${e.out} (backend ${e.backend} ${e.backendVersion})`);
      } else if (e.event === 'stage-start') {
        write(`[${e.index + 1}/${total}] ${e.name} (${e.type})${e.action === 'cached' ? '' : e.action === 'resume' ? ' resuming' : ' running'}`);
      } else if (e.event === 'progress' && e.step === e.steps) {
        write(`  ${progressLine(e)}`);
      } else if (e.event === 'stage-end') {
        write(`  ${e.status} in ${e.seconds.toFixed(1)} s · ${metricSummary(e.metrics)}`);
      } else if (e.event === 'run-end') {
        for (const line of runEndLines(e)) write(line);
      }
    },
    finish: async () => {},
  };
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** A listr2 task per stage; the runner's events drive the tasks from outside. */
class ListrRenderer implements ProgressRenderer {
  private done: Deferred[] = [];
  private tasks: Array<ListrTaskWrapper<unknown, never, never> | undefined> = [];
  private pendingOutput: string[] = [];
  private titles: string[] = [];
  private running?: Promise<unknown>;
  private current = -1;
  private summary: string[] = [];

  handle(e: RunEvent): void {
    if (e.event === 'run-start') {
      this.done = e.stages.map(() => deferred());
      this.titles = e.stages.map((s) => `${s.name} (${s.type})`);
      const listr = new Listr(e.stages.map((_, i) => ({
        title: this.titles[i]!,
        task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
          this.tasks[i] = task;
          task.title = this.titles[i]!;
          if (this.pendingOutput[i]) task.output = this.pendingOutput[i]!;
          await this.done[i]!.promise;
        },
      })), { concurrent: false, exitOnError: true, rendererOptions: { collapseErrors: false } } as never);
      this.running = listr.run().catch(() => {});
      process.stdout.write(`condense: ${e.name} → ${e.out} (backend ${e.backend} ${e.backendVersion})\n`);
    } else if (e.event === 'stage-start') {
      this.current = e.index;
    } else if (e.event === 'progress') {
      const line = progressLine(e);
      const task = this.tasks[e.index];
      if (task) task.output = line;
      else this.pendingOutput[e.index] = line;
    } else if (e.event === 'stage-end') {
      const task = this.tasks[e.index];
      const title = `${this.titles[e.index]} · ${e.status} ${e.seconds.toFixed(1)} s · ${metricSummary(e.metrics)}`;
      if (task) task.title = title;
      else this.titles[e.index] = title;
      this.done[e.index]!.resolve();
    } else if (e.event === 'run-end') {
      this.summary = runEndLines(e);
    }
  }

  async finish(error?: unknown): Promise<void> {
    if (error !== undefined && this.current >= 0) this.done[this.current]?.reject(error);
    await this.running;
    for (const line of this.summary) process.stdout.write(line + '\n');
  }
}
