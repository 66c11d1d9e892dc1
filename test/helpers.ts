import * as tf from '@tensorflow/tfjs';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeBackendStatus } from '../src/backend/native/index.js';
import { selectBackend } from '../src/backend/select.js';
import type { BackendInfo } from '../src/backend/select.js';
import { parse as parseYaml } from 'yaml';
import { loadDataset } from '../src/data/index.js';
import { loadMnistDigits } from '../src/data/mnist.js';
import { makeBatch, type Batch } from '../src/model/batches.js';
import { seededSplit } from '../src/data/split.js';
import type { Dataset } from '../src/data/types.js';
import type { TestContext } from 'vitest';

/** Repository root. */
export const ROOT = join(import.meta.dirname, '..');

/** The backend tests run on: CONDENSE_TEST_BACKEND, else wasm (fast and always available). */
export async function useTestBackend(): Promise<BackendInfo> {
  return selectBackend((process.env.CONDENSE_TEST_BACKEND as 'wasm' | 'cpu' | undefined) ?? 'wasm');
}

/** True under CI (`CI=true`, or `CI=1`): a missing system dependency then fails its tests instead of skipping them. */
export const UNDER_CI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Gate for a test that needs a system dependency (chromium, OpenBLAS, a Debian dataset, the
 * native addon). Call it first in the test, or in a `beforeEach` for a whole describe block.
 * Present: returns. Missing: skips the test, except under CI, where it throws, because CI
 * installs every dependency and a skip there would hide a broken setup.
 * @param hint how to provide the dependency (shown in the failure and the skip note).
 */
export function requireSystemDep(ctx: Pick<TestContext, 'skip'>, name: string, present: boolean, hint = ''): void {
  if (present) return;
  const why = `system dependency missing: ${name}${hint ? ` (${hint})` : ''}`;
  if (UNDER_CI) throw new Error(`${why}; under CI every system dependency must be present`);
  ctx.skip(why);
}

/** {@link requireSystemDep} for the native addon, with the reason it does not load as the hint. */
export function requireNativeAddon(ctx: Pick<TestContext, 'skip'>): void {
  const status = nativeBackendStatus();
  requireSystemDep(ctx, 'native addon', status.available, status.reason);
}

/** A small MNIST slice for fast stage tests. */
export function tinyMnist(limit = 600, seed = 7): Dataset {
  const examples = loadMnistDigits();
  const split = seededSplit(examples, { seed, testFraction: 0.25, limit });
  return { name: 'mnist', inputShape: [784], featureSize: 784, numClasses: 10, ...split, fingerprint: `tiny-${limit}-${seed}` };
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'condense-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const cacheDirs: string[] = [];
process.on('exit', () => {
  for (const dir of cacheDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh, empty shared stage cache (removed when the test process exits): what `runCli` gives
 * each call, and what a test passes as CONDENSE_CACHE to several calls that should share one.
 */
export function tempCache(): string {
  const dir = tempDir('condense-cache-');
  cacheDirs.push(dir);
  return dir;
}

/**
 * Runs the built CLI (`bin/condense.mjs`) and returns its exit code and output. Each call gets
 * its own empty stage cache unless `env.CONDENSE_CACHE` names one, so no test reads another's
 * stages, nor the user's cache.
 */
export function runCli(args: string[], options: CliOptions = {}): CliResult {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'condense.mjs'), ...args], {
    cwd: options.cwd ?? ROOT, env: cliEnv(options), encoding: 'utf8', timeout: CLI_TIMEOUT_MS,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * {@link runCli} without blocking the test process: for CLI calls that do not depend on each
 * other, started together (`Promise.all`) so they overlap. Same environment, cache and timeout
 * (on timeout the child is SIGTERMed and `code` is null, as with `runCli`).
 */
export function runCliAsync(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'condense.mjs'), ...args], {
      cwd: options.cwd ?? ROOT, env: cliEnv(options), stdio: ['ignore', 'pipe', 'pipe'], timeout: CLI_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Where and with what environment {@link runCli} runs the CLI. */
export interface CliOptions { cwd?: string; env?: Record<string, string> }

/** A finished CLI call: exit code (null when killed by a signal), stdout and stderr. */
export interface CliResult { code: number | null; stdout: string; stderr: string }

const CLI_TIMEOUT_MS = 240_000;

function cliEnv(options: CliOptions): NodeJS.ProcessEnv {
  return { ...process.env, CI: '1', ...options.env, CONDENSE_CACHE: options.env?.CONDENSE_CACHE ?? tempCache() };
}

/**
 * An exported model directory as the stock TF.js loader sees it: tf.io.fromMemory over the
 * files on disk (the judge of what users get), with the manifest's weight specs.
 */
export async function loadExported(dir: string) {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const bytes = Buffer.concat(group.paths.map((p: string) => readFileSync(join(dir, p))));
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: group.weights,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  }));
  return { json, model, specs: group.weights as Array<{ name: string; quantization?: { dtype: string } }> };
}

/** The held-out split run `out` used, rebuilt from its recipe.resolved.yaml, as one batch. */
export function heldOutBatch(out: string): Batch {
  const resolved = parseYaml(readFileSync(join(out, 'recipe.resolved.yaml'), 'utf8'));
  const data = loadDataset(resolved.data, resolved.seed, ROOT);
  return makeBatch(data.test, data.inputShape, data.numClasses, null, 0, data.test.count);
}

/** Accuracy of `model`'s own predictions (argmax) on the held-out split of run `out`. */
export function heldOutAccuracy(model: tf.LayersModel, out: string): number {
  const batch = heldOutBatch(out);
  const predicted = tf.tidy(() => (model.predict(batch.xs) as tf.Tensor).argMax(-1).dataSync());
  tf.dispose([batch.xs, batch.ys]);
  return predicted.filter((p, i) => p === batch.labels[i]).length / batch.labels.length;
}

/** Weight keys a run's quantize stage kept float32 (`quantizationError.keptFloat` in its report). */
export function keptFloatKeys(report: { final: { layers: Array<{ weights: Array<{ key: string; quantizationError?: { keptFloat?: string } }> }> } }): Set<string> {
  return new Set(report.final.layers.flatMap((l) => l.weights).filter((w) => w.quantizationError?.keptFloat).map((w) => w.key));
}
