import { EXIT, InterruptedError } from '../errors.js';
import { runRecipe } from '../runner/run.js';
import { createRenderer } from './progress.js';
import { describeGate } from '../report/gates.js';
import type { BackendRequest } from '../backend/names.js';
import { commandCache } from '../store/cache-dir.js';
import { loadForCommand, outputMode } from './shared.js';

interface RunFlags {
  out?: string;
  set: string[];
  resume?: boolean;
  backend?: BackendRequest;
  /** `--cache DIR`, or false for `--no-cache`. */
  cache?: string | boolean;
  json?: boolean;
}

/**
 * With CONDENSE_PARENT_WATCH=1 (set by `condense sweep` and `condense worker` for their trials),
 * exits when the parent's end of stdin closes: a trial must not outlive the process that runs it,
 * or a worker killed mid-trial would leave it running while another worker takes the trial over.
 */
function exitWithParent(): void {
  if (process.env.CONDENSE_PARENT_WATCH !== '1') return;
  const stop = () => process.exit(EXIT.interrupted);
  process.stdin.on('end', stop).on('error', stop).resume();
  (process.stdin as { unref?: () => void }).unref?.();
}

/** `condense run`: runs a recipe, showing progress; exit 3 when a gate is not met. */
export async function runCommand(file: string, flags: RunFlags): Promise<void> {
  exitWithParent();
  const loaded = await loadForCommand(file, flags.set);
  const renderer = createRenderer(outputMode(flags.json));
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    // A second signal means "now": checkpoints already written stay valid.
    if (signals > 1) process.exit(130);
    process.stderr.write(`\ncondense: ${signal} received; stopping at the next safe point (again to quit now)\n`);
    controller.abort(new InterruptedError(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await runRecipe(loaded, {
      registry: loaded.registry, out: flags.out, backend: flags.backend, resume: flags.resume, cache: commandCache(flags.cache),
      onEvent: (e) => renderer.handle(e), signal: controller.signal,
    });
    await renderer.finish();
    const failed = summary.report.gates.filter((g) => !g.passed);
    if (failed.length) {
      process.stderr.write(`condense: quality gates not met:\n${failed.map((g) => `  ${describeGate(g)}`).join('\n')}\n`);
    }
    process.exitCode = summary.exitCode;
  } catch (err) {
    await renderer.finish(err);
    throw controller.signal.aborted ? (controller.signal.reason as Error) : err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
