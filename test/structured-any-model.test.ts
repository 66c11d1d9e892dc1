// Structured pruning of a model.path functional model through the CLI: `plan` names the layer the
// dependency graph does not know before anything runs; `run` shrinks what it can and exports a
// model the stock loader reads with the smaller shapes.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { heldOutBatch, loadExported, requireSystemDep, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';
import { mobileNetStyle, writeModel } from './user-models.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

const PLUGIN = [
  "import * as tf from '@tensorflow/tfjs';",
  'class Scale extends tf.layers.Layer {',
  "  static className = 'Scale';",
  '  call(inputs) { return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 0.5)); }',
  '}',
  'export const layers = [Scale];', '',
].join('\n');

beforeAll(async () => {
  await useTestBackend();
});

describe('structured pruning of a functional model with a plugin layer', () => {
  it('plan warns naming the unknown layer; run keeps its channels whole and shrinks the rest', async () => {
    const dir = tempDir('condense-structured-');
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'scale.mjs'), PLUGIN);
    const { layers } = await import(join(dir, 'scale.mjs')) as { layers: Array<new (c: object) => tf.layers.Layer> };
    const input = tf.input({ shape: [784] });
    const hidden = tf.layers.dense({ units: 16, activation: 'relu', name: 'hidden' }).apply(input) as tf.SymbolicTensor;
    const scaled = new layers[0]!({ name: 'halve' }).apply(hidden) as tf.SymbolicTensor;
    const hidden2 = tf.layers.dense({ units: 8, activation: 'relu', name: 'hidden2' }).apply(scaled) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 10, activation: 'softmax', name: 'out' }).apply(hidden2) as tf.SymbolicTensor;
    await writeModel(tf.model({ inputs: input, outputs: out }), join(dir, 'm'));
    writeFileSync(join(dir, 'recipe.yaml'), [
      'version: 1', 'name: structured-plugin', 'data: { dataset: mnist, limit: 200 }', 'model: { path: ./m/model.json }', 'plugins: [./scale.mjs]',
      'stages:', '  - { name: shrink, type: prune, method: structured, sparsity: 0.5, scope: layer }', '',
    ].join('\n'));
    const warning = 'recipe.yaml:7:42: halve is a Scale, a layer class structured pruning does not know: the channels it touches stay whole';
    const plan = runCli(['plan', join(dir, 'recipe.yaml'), '--out', join(dir, 'out'), '--backend', 'wasm']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toContain(`warning: ${join(dir, warning)}`);
    const run = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'out'), '--backend', 'wasm']);
    expect(run.code, run.stderr).toBe(0);
    tf.serialization.registerClass(layers[0] as never);
    const { model: exported } = await loadExported(join(dir, 'out', 'model'));
    expect(exported.getLayer('hidden').getWeights()[0]!.shape).toEqual([784, 16]);
    expect(exported.getLayer('hidden2').getWeights()[0]!.shape).toEqual([16, 4]);
    expect(exported.getLayer('out').getWeights()[0]!.shape).toEqual([4, 10]);
  }, 120_000);
});

describe('structured pruning of a functional MobileNet-style model from model.path', () => {
  it('removes 40% of the coupled channels through BN, depthwise and the residual Add: fewer params and MACs, the stock loader reproduces the accuracy', async (ctx) => {
    requireSystemDep(ctx, 'dataset-fashion-mnist', existsSync(FASHION), `apt-get install dataset-fashion-mnist (${FASHION})`);
    const dir = tempDir('condense-structured-mobilenet-');
    await writeModel(mobileNetStyle(5), join(dir, 'm'));
    writeFileSync(join(dir, 'recipe.yaml'), [
      'version: 1', 'name: structured-mobilenet', 'seed: 4', 'data:', '  dataset: idx',
      `  images: ${FASHION}/train-images-idx3-ubyte.gz`, `  labels: ${FASHION}/train-labels-idx1-ubyte.gz`, '  limit: 1600', '  testFraction: 0.25',
      'model: { path: ./m/model.json }', 'stages:',
      '  - { name: base, type: train, epochs: 2, batchSize: 32, optimizer: { name: adam, learningRate: 0.01 } }',
      '  - { name: shrink, type: prune, method: structured, sparsity: 0.4, scope: layer }',
      '  - { name: tune, type: finetune, epochs: 1, batchSize: 32 }',
      'gates: { macsRatio: { max: 0.6 }, macs: { min: 1 }, latencyMs32: { min: 0 } }', '',
    ].join('\n'));
    const out = join(dir, 'out');
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const [base, shrink] = report.stages as Array<{ metrics: Record<string, number> }>;
    expect(shrink!.metrics.macs! / base!.metrics.macs!).toBeLessThanOrEqual(0.6);
    expect(shrink!.metrics.params! / base!.metrics.params!).toBeLessThanOrEqual(0.6);
    // Cost as users pay it: MACs per layer adding up to the model's, the ratio gated, batch-32 latency.
    const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(ROOT, 'schemas/report.schema.json'), 'utf8')));
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    const layers = report.final.layers as Array<{ name: string; macs?: number }>;
    expect(layers.reduce((n, l) => n + (l.macs ?? 0), 0)).toBe(report.final.metrics.macs);
    expect(layers.find((l) => l.name === 'block_dw')!.macs).toBe(14 * 14 * 9 * 7);
    expect(report.final.relative.macsRatio).toBeCloseTo(report.final.metrics.macs / base!.metrics.macs!, 10);
    expect(report.gates.map((g: { metric: string; passed: boolean }) => [g.metric, g.passed])).toEqual([['macsRatio', true], ['macs', true], ['latencyMs32', true]]);
    expect(report.final.metrics.latencyMs32).toBeGreaterThan(0);
    expect(shrink!.metrics.bnAdaptedLayers).toBe(3);
    const { model } = await loadExported(join(out, 'model'));
    expect(model.getClassName()).not.toBe('Sequential');
    expect(model.getLayer('stem').getWeights()[0]!.shape).toEqual([3, 3, 1, 7]);
    expect(model.getLayer('block_dw').getWeights()[0]!.shape).toEqual([3, 3, 7, 1]);
    expect(model.getLayer('block_pw').getWeights()[0]!.shape).toEqual([1, 1, 7, 7]);
    const batch = heldOutBatch(out);
    const predicted = tf.tidy(() => (model.predict(tf.reshape(batch.xs, [-1, 28, 28, 1])) as tf.Tensor).argMax(-1).dataSync());
    const accuracy = predicted.filter((p, i) => p === batch.labels[i]).length / batch.labels.length;
    expect(Math.abs(accuracy - report.final.metrics.accuracy)).toBeLessThanOrEqual(0.005);
  }, 180_000);
});
