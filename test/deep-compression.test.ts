import { brotliCompressSync, constants } from 'node:zlib';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExported, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';

// The preset ends with an optional browser evaluation; test/browser-eval.test.ts covers that, so
// these small-slice runs leave it out.
process.env.CONDENSE_BROWSER = 'off';

const BACKEND = process.env.CONDENSE_TEST_BACKEND ?? 'wasm';
// The shipped preset on a small slice with short training: the bars that hold at any scale
// (ties, sparsity, brotliBytes honest), not the accuracy, which needs the full data.
const SLICE = [
  'data.limit=1500', 'stages.baseline.epochs=2', 'stages.prune.schedule.epochs=2', 'stages.finetune.epochs=1',
  'stages.finetune-shared.epochs=1', 'gates.accuracy.min=0', 'gates.accuracyDrop.max=1',
].flatMap((s) => ['--set', s]);

describe('deep-compression-lenet300 on a slice', () => {
  it('exports ≤ 16 values per kernel (stock loader), ≥ 12× fewer nonzeros, and brotliBytes is the model directory under brotli 11', async () => {
    await useTestBackend();
    const out = tempDir();
    const r = runCli(['run', join(ROOT, 'recipes/deep-compression-lenet300.yaml'), '--out', out, '--backend', BACKEND, '--json', ...SLICE]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const final = report.final.metrics;
    expect(report.stages[0].metrics.nonzeroParams / final.nonzeroParams).toBeGreaterThanOrEqual(12);
    const dir = join(out, 'model');
    const brotli = readdirSync(dir).reduce((n, f) => n + brotliCompressSync(readFileSync(join(dir, f)), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length, 0);
    expect(final.brotliBytes).toBe(brotli);
    const { model } = await loadExported(dir);
    const kernels = model.layers.map((l) => l.getWeights()[0]).filter((k) => k !== undefined);
    expect(kernels).toHaveLength(3);
    for (const k of kernels) {
      const values = k.dataSync();
      expect(new Set(values).size).toBeLessThanOrEqual(16);
      expect(values.some((v) => v === 0)).toBe(true);
    }
    model.dispose();
  });
});
