// `task: regression` end to end through the CLI on a CSV of numeric targets (a fixed linear
// function of 8 features plus small noise): the builtin mlp and a model from model.path are
// trained, pruned, fine-tuned and evaluated; the report has mae and rmse instead of accuracy,
// rmse gates hold, and the exported model read by the stock loader gives the reported rmse.
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/index.js';
import { featureRows } from '../src/data/types.js';
import { loadExported, runCli, tempDir, useTestBackend } from './helpers.js';
import { writeModel } from './user-models.js';

const WEIGHTS = [1.5, -2, 0.5, 1, -0.7, 0.3, 2, -1.2];
const BIAS = 0.5;
let dir: string;

/** 400 rows of `f0 … f7, target` with target = WEIGHTS·f + BIAS + noise in ±0.05; `bad` replaces one row's target. */
function regressionCsv(bad?: { row: number; target: string }): string {
  let state = 20240607;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const lines = [[...WEIGHTS.map((_, k) => `f${k}`), 'target'].join(',')];
  for (let i = 0; i < 400; i++) {
    const x = WEIGHTS.map(() => uniform() * 2 - 1);
    const y = x.reduce((sum, v, k) => sum + v * WEIGHTS[k]!, BIAS) + (uniform() - 0.5) * 0.1;
    lines.push([...x.map((v) => v.toFixed(5)), bad?.row === i ? bad.target : y.toFixed(5)].join(','));
  }
  return lines.join('\n') + '\n';
}

const TRAINING = [
  '  - { name: base, type: train, epochs: 20, batchSize: 32, optimizer: { name: adam, learningRate: 0.01 } }',
  '  - { name: prune, type: prune, method: magnitude, sparsity: 0.5, schedule: { kind: polynomial, epochs: 2 }, include: ["type:Dense"], batchSize: 32 }',
  '  - { name: tune, type: finetune, epochs: 5, batchSize: 32 }',
];

/** Runs a regression recipe with `model` and `stages` (YAML lines) in `dir`; returns the exit, the report and the run directory. */
function run(name: string, model: string, stages: string[], rmseMax: number) {
  const recipe = join(dir, `${name}.yaml`);
  writeFileSync(recipe, [
    'version: 1', `name: ${name}`, 'seed: 3', 'task: regression',
    'data: { dataset: csv, path: data.csv, label: target, testFraction: 0.25 }', `model: ${model}`, 'stages:', ...stages,
    '  - { name: final, type: evaluate }', 'gates:', `  rmse: { max: ${rmseMax} }`, '',
  ].join('\n'));
  const out = join(dir, `out-${name}`);
  const r = runCli(['run', recipe, '--out', out, '--backend', 'wasm', '--json']);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  return { ...r, report, out };
}

/** Root mean squared error of `model` on the held-out split of run `out`, recomputed from its resolved recipe. */
function heldOutRmse(model: tf.LayersModel, out: string): number {
  const resolved = parseYaml(readFileSync(join(out, 'recipe.resolved.yaml'), 'utf8'));
  const data = loadDataset(resolved.data, resolved.seed, dir, undefined, resolved.task);
  expect(data.test.y).toBeInstanceOf(Float32Array);
  const predicted = tf.tidy(() => (model.predict(tf.tensor2d(featureRows(data.test, 8), [data.test.count, 8])) as tf.Tensor).dataSync());
  let squared = 0;
  for (let i = 0; i < data.test.count; i++) squared += (predicted[i]! - data.test.y[i]!) ** 2;
  return Math.sqrt(squared / data.test.count);
}

/** Checks a trained run against its untrained model: mae/rmse everywhere, no accuracy, a lower rmse, the gate met, the export as reported. */
async function expectTrained(name: string, model: string): Promise<void> {
  const untrained = run(`${name}-untrained`, model, [], 0.5);
  expect(untrained.code, untrained.stderr).toBe(3);
  expect(untrained.report.gates).toEqual([expect.objectContaining({ metric: 'rmse', passed: false })]);
  const before = untrained.report.final.metrics.rmse as number;
  expect(before).toBeGreaterThan(1);

  const trained = run(name, model, TRAINING, 0.5);
  expect(trained.code, trained.stderr).toBe(0);
  const { metrics } = trained.report.final;
  for (const stage of trained.report.stages) {
    expect(Object.keys(stage.metrics)).toEqual(expect.arrayContaining(['mae', 'rmse', 'loss']));
    expect(stage.metrics.accuracy).toBeUndefined();
  }
  expect(metrics.sparsity).toBeGreaterThan(0.4);
  expect(metrics.rmse).toBeLessThan(before / 4);
  expect(Math.abs(metrics.loss - metrics.rmse ** 2)).toBeLessThan(1e-4 * metrics.loss + 1e-6);
  expect(trained.report.gates).toEqual([expect.objectContaining({ metric: 'rmse', value: metrics.rmse, passed: true })]);
  // A model.path model's baseline is the model as given, measured as a regression model too.
  if (name === 'path') {
    expect(trained.report.baseline.stage).toBe('input');
    expect(trained.report.baseline.metrics.accuracy).toBeUndefined();
    expect(trained.report.baseline.metrics.rmse).toBeCloseTo(before, 6);
  }

  const { model: exported } = await loadExported(join(trained.out, 'model'));
  expect(exported.outputs[0]!.shape).toEqual([null, 1]);
  const recomputed = heldOutRmse(exported, trained.out);
  expect(Math.abs(recomputed - metrics.rmse) / metrics.rmse).toBeLessThanOrEqual(1e-4);
}

beforeAll(async () => {
  await useTestBackend();
  dir = tempDir('condense-regression-');
  writeFileSync(join(dir, 'data.csv'), regressionCsv());
});

describe('task: regression from a CSV', () => {
  it('builtin mlp: one linear unit, train → prune → finetune → evaluate, mae/rmse reported and gated, export as reported', async () => {
    await expectTrained('mlp', '{ builtin: mlp, hidden: [32, 16] }');
  }, 120_000);

  it('model.path: a functional model ending in one linear unit, same pipeline', async () => {
    const input = tf.input({ shape: [8], name: 'features' });
    const hidden = tf.layers.dense({ units: 24, activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(input);
    const value = tf.layers.dense({ units: 1, name: 'value', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(hidden) as tf.SymbolicTensor;
    await writeModel(tf.model({ inputs: input, outputs: value }), join(dir, 'user-model'));
    await expectTrained('path', '{ path: ./user-model/model.json }');
  }, 120_000);

  it('a target that is not a number exits 2 naming the file and line, before any stage runs', () => {
    const bad = tempDir('condense-regression-bad-');
    writeFileSync(join(bad, 'data.csv'), regressionCsv({ row: 136, target: 'n/a' }));
    const recipe = join(bad, 'recipe.yaml');
    writeFileSync(recipe, [
      'version: 1', 'name: bad-target', 'task: regression', 'data: { dataset: csv, path: data.csv, label: target }',
      'model: { builtin: mlp, hidden: [8] }', 'stages:', '  - { name: base, type: train, epochs: 1 }', '',
    ].join('\n'));
    const r = runCli(['run', recipe, '--out', join(bad, 'out'), '--backend', 'wasm']);
    expect(r.code).toBe(2);
    // header on line 1, row 136 (0-based) on line 138
    expect(r.stderr).toContain(`${join(bad, 'data.csv')}:138: target "n/a" is not a number`);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  }, 60_000);
});
