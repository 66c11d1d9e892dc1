// What structured pruning is for, measured where the model runs: the same run measures the
// unpruned model and the structured-pruned one in headless Chromium, and the smaller one is faster.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { findChromium } from './browser.js';
import { requireSystemDep, runCli, tempDir } from './helpers.js';

describe('a structured-pruned model in the browser', () => {
  const chromium = findChromium();
  beforeEach((ctx) => requireSystemDep(ctx, 'chromium', chromium !== undefined, 'apt-get install chromium, or set CONDENSE_CHROMIUM'));

  it('is measured faster on wasm than its unpruned baseline in the same run, with ≥ 3.5× fewer MACs', () => {
    const dir = tempDir('condense-browser-structured-');
    const browser = '{ backends: [wasm], batchSizes: [32], runs: 40, warmup: 5, slice: 128 }';
    writeFileSync(join(dir, 'recipe.yaml'), ['version: 1', 'name: structured-browser', 'seed: 2', 'data: { dataset: mnist, limit: 1200 }',
      'model: { builtin: mlp, hidden: [1024, 512] }', 'stages:',
      '  - { name: baseline, type: train, epochs: 1, batchSize: 128 }',
      `  - { name: before, type: evaluate, metrics: [], browser: ${browser} }`,
      '  - { name: prune, type: prune, method: structured, sparsity: 0.75, scope: layer }',
      '  - { name: tune, type: finetune, epochs: 1, batchSize: 128 }',
      `  - { name: after, type: evaluate, metrics: [], browser: ${browser} }`, ''].join('\n'));
    const run = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'run'), '--backend', 'wasm', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'run', 'report.json'), 'utf8'));
    const stage = (name: string) => report.stages.find((s: { name: string }) => s.name === name);
    const before = stage('before');
    const after = stage('after');
    expect(after.metrics.macs).toBeLessThan(before.metrics.macs / 3.5);
    const latency = (s: { browser: { backends: { wasm: { latencyMs: Record<string, number> } } } }) => s.browser.backends.wasm.latencyMs['32']!;
    expect(latency(after)).toBeGreaterThan(0);
    expect(latency(after)).toBeLessThan(latency(before));
    // The exported model has the smaller shapes: what the browser downloaded is smaller too.
    expect(after.browser.backends.wasm.decodedBytes).toBeLessThan(before.browser.backends.wasm.decodedBytes / 3);
  }, 180_000);
});
