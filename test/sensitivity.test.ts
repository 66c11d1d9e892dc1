import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../src/data/types.js';
import { loadRecipe } from '../src/recipe/load.js';
import { runRecipe } from '../src/runner/run.js';
import { builtinStages } from '../src/stages/builtin.js';
import { Prng } from '../src/util/prng.js';
import { tempDir, tinyMnist, useTestBackend } from './helpers.js';

const RECIPE = `version: 1
name: sensitivity-run
seed: 3
data: { dataset: mnist }
model: { builtin: mlp, hidden: [32, 16] }
stages:
  - { name: baseline, type: train, epochs: 2, batchSize: 64 }
  - { name: scan, type: sensitivity, sparsity: 0.85, examples: 300, levels: [0.5, 0.8, 0.9, 0.95] }
  - { name: prune, type: prune, sparsity: "stage:scan", include: ["type:Dense"] }
  - { name: final, type: evaluate, metrics: [sizeBytes] }
`;

/** The same data with the test split replaced by uniform noise and random labels. */
function noisyTest(data: Dataset): Dataset {
  const prng = new Prng(99);
  const x = new Float32Array(data.test.count * data.featureSize).map(() => prng.next());
  const y = new Int32Array(data.test.count).map(() => prng.int(data.numClasses));
  return { ...data, test: { x, y, count: data.test.count }, fingerprint: `${data.fingerprint}-noise` };
}

let file: string;
beforeAll(async () => {
  await useTestBackend();
  file = join(tempDir(), 'recipe.yaml');
  writeFileSync(file, RECIPE);
});

async function run(data: Dataset) {
  const out = tempDir();
  const summary = await runRecipe(loadRecipe(file, { registry: builtinStages() }), { out, backend: 'wasm', data });
  return { report: summary.report, out };
}

describe('sensitivity in a run', () => {
  it('never reads the test split: noise in its place gives the same proposal; prune stage:<name> applies it', async () => {
    const data = tinyMnist(800);
    const clean = await run(data);
    const noisy = await run(noisyTest(data));
    const scan = clean.report.stages.find((s) => s.name === 'scan')!.sensitivity!;
    expect(noisy.report.stages.find((s) => s.name === 'scan')!.sensitivity).toEqual(scan);
    // The test split did change what the run measured on it.
    expect(noisy.report.final.metrics.accuracy).not.toBe(clean.report.final.metrics.accuracy);
    expect(scan.sparsity).toBeGreaterThanOrEqual(0.85 - 1e-9);
    expect(Object.keys(scan.proposal)).toEqual(['dense1', 'dense2', 'output']);
    for (const layer of clean.report.final.layers!) {
      const kernel = layer.weights.find((w) => w.key.endsWith('/kernel'))!;
      expect(kernel.sparsity).toBeCloseTo(scan.proposal[layer.name]!, 2);
    }
    const md = readFileSync(join(clean.out, 'report.md'), 'utf8');
    expect(md).toMatch(/## Sensitivity: scan\n\n\| layer \| weights \| drop @ 50.0%/);
    expect(readFileSync(join(clean.out, 'report.html'), 'utf8')).toMatch(/<section id="sensitivity"[\s\S]*<svg/);
  }, 120_000);

  it('a stage:<name> that names no earlier sensitivity stage is a recipe error', () => {
    const bad = join(tempDir(), 'bad.yaml');
    writeFileSync(bad, RECIPE.replace('"stage:scan"', '"stage:baseline"'));
    expect(() => loadRecipe(bad, { registry: builtinStages() })).toThrow(/stage "baseline" is a train stage/);
  });
});
