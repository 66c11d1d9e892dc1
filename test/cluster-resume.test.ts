import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExported, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';

// prune → cluster (dense1: 8, output: 6) → finetune (3 epochs) → quantize uint8 → evaluate.
const recipe = join(ROOT, 'test/fixtures/recipes/cluster-resume.yaml');
const BACKEND = process.env.CONDENSE_TEST_BACKEND ?? 'wasm';
const CLUSTERS: Record<string, number> = { 'dense1/kernel': 8, 'output/kernel': 6 };
let reference: { weights: Buffer; metrics: Record<string, number> };

const statuses = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'stage-end').map((e) => `${e.name}:${e.status}`);
const finalOf = (out: string) => ({
  weights: readFileSync(join(out, 'model/group1-shard1of1.bin')),
  metrics: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).final.metrics as Record<string, number>,
});

/** Distinct values of each clustered kernel of an exported model, as the stock loader decodes it. */
async function distinctKernelValues(dir: string): Promise<Record<string, number>> {
  const { model } = await loadExported(dir);
  const out: Record<string, number> = {};
  for (const layer of model.layers) {
    const [kernel] = layer.getWeights();
    // Loaded layers are renamed (dense1_1): the key is the layer's original name.
    const key = `${layer.name.replace(/_\d+$/, '')}/kernel`;
    if (kernel && key in CLUSTERS) out[key] = new Set(kernel.dataSync()).size;
  }
  model.dispose();
  return out;
}

/** Starts a run and SIGKILLs it when `when` matches an event (a real kill -9 from outside). */
function runAndKill(out: string, when: (e: Record<string, unknown>) => boolean) {
  return new Promise<NodeJS.Signals | null>((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/condense.mjs'), 'run', recipe, '--out', out, '--json', '--backend', BACKEND], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (buffer + chunk.toString()).split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (!sent && when(JSON.parse(line))) {
          sent = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('exit', (_code, signal) => resolve(signal));
  });
}

beforeAll(async () => {
  await useTestBackend();
  const out = tempDir();
  const r = runCli(['run', recipe, '--out', out, '--json', '--backend', BACKEND]);
  expect(r.code, r.stderr).toBe(0);
  reference = finalOf(out);
});

describe('cluster, then finetune killed with -9, then --resume', () => {
  it('is bit-identical to an uninterrupted run, and the ties survive (≤ K values per kernel)', async () => {
    const out = tempDir();
    const signal = await runAndKill(out, (e) => e.event === 'progress' && e.name === 'finetune' && e.epoch === 2 && (e.step as number) >= 3);
    expect(signal).toBe('SIGKILL');
    const epochs = join(out, 'stages/04-finetune.epochs');
    expect(existsSync(epochs)).toBe(true);
    // The epoch checkpoint holds the ties.
    const stored = readdirSync(epochs, { recursive: true }).map(String);
    expect(stored.some((f) => f.endsWith('clusters.bin'))).toBe(true);
    const resumed = runCli(['run', recipe, '--out', out, '--json', '--backend', BACKEND, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(statuses(resumed.stdout)).toEqual(['baseline:cached', 'prune:cached', 'cluster:cached', 'finetune:resumed', 'quantize:ran', 'final:ran']);
    const got = finalOf(out);
    expect(got.weights.equals(reference.weights)).toBe(true);
    expect(got.metrics.accuracy).toBe(reference.metrics.accuracy);
    expect(got.metrics.brotliBytes).toBe(reference.metrics.brotliBytes);
    expect(got.metrics.brotliBytes).toBeLessThan(got.metrics.gzipBytes!);
    // Finetuned float32 weights (its checkpoint) and the uint8 export both keep ≤ K values.
    for (const dir of [join(out, 'stages/04-finetune/model'), join(out, 'model')]) {
      const distinct = await distinctKernelValues(dir);
      expect(Object.keys(distinct).sort()).toEqual(Object.keys(CLUSTERS).sort());
      for (const [key, k] of Object.entries(CLUSTERS)) {
        expect(distinct[key], `${dir} ${key}`).toBeLessThanOrEqual(k);
        expect(distinct[key], `${dir} ${key}`).toBeGreaterThan(2);
      }
    }
    // The finetune moved the centroids: its weights differ from the cluster stage's.
    const clustered = readFileSync(join(out, 'stages/03-cluster/model/group1-shard1of1.bin'));
    expect(readFileSync(join(out, 'stages/04-finetune/model/group1-shard1of1.bin')).equals(clustered)).toBe(false);
  });
});
