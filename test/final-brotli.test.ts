import { brotliCompressSync, constants } from 'node:zlib';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecipe } from '../src/recipe/load.js';
import { runRecipe } from '../src/runner/run.js';
import { builtinStages } from '../src/stages/builtin.js';
import { tempDir, tinyMnist, useTestBackend } from './helpers.js';

const recipe = (evaluate: string) => `version: 1
name: final-brotli
data: { dataset: mnist }
model: { builtin: mlp, hidden: [16] }
stages:
  - { name: baseline, type: train, epochs: 1 }
  - { name: measure, type: evaluate, metrics: [${evaluate}] }
  - { name: quantize, type: quantize }
`;

async function finalMetrics(evaluate: string) {
  const file = join(tempDir(), 'recipe.yaml');
  writeFileSync(file, recipe(evaluate));
  const out = tempDir();
  const { report } = await runRecipe(loadRecipe(file, { registry: builtinStages() }), { out, backend: 'wasm', data: tinyMnist(300) });
  return { final: report.final, out };
}

describe('brotliBytes of the final model', () => {
  it('is measured at the end when an evaluate measured it and a later stage changed the model; not otherwise', async () => {
    await useTestBackend();
    const { final, out } = await finalMetrics('brotliBytes');
    const dir = join(out, 'model');
    const brotli = readdirSync(dir).reduce((n, f) => n + brotliCompressSync(readFileSync(join(dir, f)), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length, 0);
    expect(final.metrics.brotliBytes).toBe(brotli);
    expect(final.relative!.downloadRatio).toBeCloseTo(Math.min(brotli, final.metrics.gzipBytes!) / (final.metrics.sizeBytes! / final.relative!.sizeRatio!), 9);
    expect((await finalMetrics('latencyMs')).final.metrics.brotliBytes).toBeUndefined();
  }, 60_000);
});
