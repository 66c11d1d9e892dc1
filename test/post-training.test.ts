// A post-training recipe on the user's own model: the baseline is the model as given, measured
// before any stage, so the answer, the ratios and the gates compare with what the user brought.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

const data = 'data: { dataset: mnist, testFraction: 0.25, limit: 1200 }';

describe('a quantize-only recipe on a model.path model', () => {
  it('reports the input model as baseline and sizeRatio ≤ 0.3', () => {
    const project = tempDir();
    writeFileSync(join(project, 'train.yaml'), ['version: 1', 'name: make-model', 'seed: 4', data,
      'model: { builtin: mlp, hidden: [64] }', 'stages:', '  - { name: fit, type: train, epochs: 2, batchSize: 64 }', ''].join('\n'));
    const trained = join(project, 'trained');
    const first = runCli(['run', join(project, 'train.yaml'), '--out', trained, '--backend', 'wasm', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const given = JSON.parse(readFileSync(join(trained, 'report.json'), 'utf8')).final.metrics;
    cpSync(join(trained, 'model'), join(project, 'model'), { recursive: true });

    writeFileSync(join(project, 'ptq.yaml'), ['version: 1', 'name: ptq', 'seed: 4', data, 'model: { path: ./model/model.json }',
      'stages:', '  - { name: quantize, type: quantize, weights: { dtype: uint8 } }', '  - { name: final, type: evaluate }',
      'gates: { sizeRatio: { max: 0.3 }, accuracyDrop: { max: 0.02 } }', ''].join('\n'));
    const out = join(project, 'ptq-run');
    const ptq = runCli(['run', join(project, 'ptq.yaml'), '--out', out, '--backend', 'wasm', '--json']);
    expect(ptq.code, ptq.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.baseline.stage).toBe('input');
    // The model as given: its accuracy and float32 size, not the quantized model's.
    expect(report.baseline.metrics.accuracy).toBe(given.accuracy);
    expect(report.baseline.metrics.sizeBytes).toBe(given.sizeBytes);
    expect(report.stages[0].metrics.sizeBytes).toBeLessThan(given.sizeBytes * 0.3);
    expect(report.final.relative.sizeRatio).toBeLessThanOrEqual(0.3);
    expect(report.final.relative.accuracyDrop).toBeCloseTo(given.accuracy - report.final.metrics.accuracy, 12);
    expect(report.gates.map((g: { baseline?: string }) => g.baseline)).toEqual(['input', 'input']);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('| metric | input (baseline) | final | final ÷ baseline |');
  }, 120_000);
});
