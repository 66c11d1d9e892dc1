import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keptFloatKeys, loadExported, requireSystemDep, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';

const fashion = '/usr/share/datasets/fashion-mnist';
const events = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l));

beforeAll(async () => {
  await useTestBackend();
});

describe('recipes that read files: idx data, model.path, float16, export', () => {
  it('runs the Fashion-MNIST preset (small) and exports float16 weights the stock loader reads', async (ctx) => {
    requireSystemDep(ctx, 'dataset-fashion-mnist', existsSync(fashion), `apt-get install dataset-fashion-mnist (${fashion})`);
    const out = tempDir();
    const r = runCli(['run', join(ROOT, 'recipes/fashion-mnist.yaml'), '--out', out, '--json', '--backend', 'wasm',
      '--set', 'data.limit=1500', '--set', 'stages.baseline.epochs=1', '--set', 'stages.prune.schedule.epochs=1']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.final.metrics.accuracy).toBeGreaterThan(0.5);
    const json = JSON.parse(readFileSync(join(out, 'stages/05-export/export/model.json'), 'utf8'));
    // Every weight float16 but those float16 would make larger (tiny biases), which the report names.
    const kept = keptFloatKeys(report);
    expect(kept.size).toBeLessThanOrEqual(1);
    expect(json.weightsManifest[0].weights.every((w: { name: string; quantization?: { dtype: string } }) => w.quantization?.dtype === 'float16' || kept.has(w.name))).toBe(true);
    const finalJson = readFileSync(join(out, 'model/model.json'));
    expect(finalJson.equals(readFileSync(join(out, 'stages/05-export/export/model.json')))).toBe(true);
    const { model, specs } = await loadExported(join(out, 'model'));
    expect(specs.every((w) => w.quantization?.dtype === 'float16' || kept.has(w.name))).toBe(true);
    expect(model.getLayer('dense1').getWeights()[0]!.dataSync().filter((v) => v === 0).length).toBeGreaterThan(0.75 * 784 * 256);
  });

  it('compresses a TF.js model from disk (model.path), resolved beside the recipe; a changed file reruns', () => {
    const first = tempDir();
    expect(runCli(['run', join(ROOT, 'test/fixtures/recipes/tiny.yaml'), '--out', first, '--backend', 'wasm']).code).toBe(0);
    const dir = tempDir();
    const recipe = join(dir, 'from-disk.yaml');
    writeFileSync(recipe, [
      'version: 1', 'name: from-disk', 'seed: 2',
      'data: { dataset: mnist, testFraction: 0.25, limit: 600 }',
      `model: { path: ${join(first, 'model/model.json')} }`,
      'stages:',
      '  - { name: prune, type: prune, sparsity: 0.9, include: [dense1] }',
      '  - { name: finetune, type: finetune, epochs: 1, batchSize: 50 }',
      '',
    ].join('\n'));
    const out = tempDir();
    const r = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.stages[0].metrics.sparsity).toBeGreaterThan(0.85);
    const again = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm']);
    expect(events(again.stdout).filter((e) => e.event === 'stage-end').map((e) => e.status)).toEqual(['cached', 'cached']);
    // Another model file at the same path: every stage reruns.
    expect(runCli(['run', join(ROOT, 'test/fixtures/recipes/tiny.yaml'), '--out', first, '--backend', 'wasm', '--set', 'seed=12']).code).toBe(0);
    const changed = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm']);
    expect(events(changed.stdout).filter((e) => e.event === 'stage-end').map((e) => e.status)).toEqual(['ran', 'ran']);
  });
});
