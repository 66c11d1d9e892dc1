// A user's functional model given as model.path: trained, pruned, fine-tuned, quantized and
// exported through the CLI on Fashion-MNIST, whose [784] examples are reshaped to the model's
// [28, 28, 1]; the export stays functional and the stock loader reproduces the report's accuracy.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { heldOutBatch, loadExported, requireSystemDep, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';
import { mobileNetStyle, nestedModel, writeModel } from './user-models.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

beforeAll(async () => {
  await useTestBackend();
});

const fashionData = (limit: number) => [
  'data:', '  dataset: idx', `  images: ${FASHION}/train-images-idx3-ubyte.gz`, `  labels: ${FASHION}/train-labels-idx1-ubyte.gz`,
  `  limit: ${limit}`, '  testFraction: 0.25',
];

function accuracyOf(model: tf.LayersModel, out: string): number {
  const batch = heldOutBatch(out);
  const predicted = tf.tidy(() => (model.predict(tf.reshape(batch.xs, [-1, 28, 28, 1])) as tf.Tensor).argMax(-1).dataSync());
  tf.dispose([batch.xs, batch.ys]);
  return predicted.filter((p, i) => p === batch.labels[i]).length / batch.labels.length;
}

describe('a functional MobileNet-style model from model.path', () => {
  it('runs train → prune (polynomial) → finetune → quantize uint8 → evaluate and exports a functional model with the reported accuracy', async (ctx) => {
    requireSystemDep(ctx, 'dataset-fashion-mnist', existsSync(FASHION), `apt-get install dataset-fashion-mnist (${FASHION})`);
    const dir = tempDir('condense-user-model-');
    await writeModel(mobileNetStyle(5), join(dir, 'm'));
    writeFileSync(join(dir, 'recipe.yaml'), [
      'version: 1', 'name: user-model', 'seed: 4', ...fashionData(1600), 'model: { path: ./m/model.json }', 'stages:',
      '  - { name: base, type: train, epochs: 2, batchSize: 32, optimizer: { name: adam, learningRate: 0.01 } }',
      '  - { name: prune, type: prune, method: magnitude, sparsity: 0.5, schedule: { kind: polynomial, epochs: 1 }, include: ["type:Conv2D", "type:DepthwiseConv2D", "type:Dense"], batchSize: 32 }',
      '  - { name: tune, type: finetune, epochs: 1, batchSize: 32 }',
      '  - { name: quantize, type: quantize, weights: { dtype: uint8 } }',
      '  - { name: final, type: evaluate, metrics: [sizeBytes] }', '',
    ].join('\n'));
    const out = join(dir, 'out');
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const reported = report.final.metrics.accuracy as number;
    expect(reported).toBeGreaterThan(0.3);
    expect(report.final.metrics.sparsity).toBeGreaterThan(0.3);
    const { json, model, specs } = await loadExported(join(out, 'model'));
    expect(json.modelTopology.class_name).not.toBe('Sequential');
    expect(model.getClassName()).not.toBe('Sequential');
    expect(model.layers.map((l) => l.getClassName())).toEqual(expect.arrayContaining(['BatchNormalization', 'DepthwiseConv2D', 'Add', 'GlobalAveragePooling2D']));
    expect(specs.some((s) => s.name.startsWith('block_dw/') && s.quantization?.dtype === 'uint8')).toBe(true);
    expect(Math.abs(accuracyOf(model, out) - reported)).toBeLessThanOrEqual(0.005);
  }, 120_000);

  it('trains a nested model (SeparableConv2D, LayerNormalization inside; Concatenate, GlobalMaxPooling2D) and keeps its weight keys', async (ctx) => {
    requireSystemDep(ctx, 'dataset-fashion-mnist', existsSync(FASHION), `apt-get install dataset-fashion-mnist (${FASHION})`);
    const dir = tempDir('condense-nested-model-');
    const original = nestedModel(2);
    await writeModel(original, join(dir, 'm'));
    writeFileSync(join(dir, 'recipe.yaml'), [
      'version: 1', 'name: nested-model', 'seed: 4', ...fashionData(400), 'model: { path: ./m/model.json }', 'stages:',
      '  - { name: base, type: train, epochs: 1, batchSize: 50 }',
      '  - { name: prune, type: prune, sparsity: 0.5, include: [side] }',
      '  - { name: quantize, type: quantize, weights: { dtype: float16 } }', '',
    ].join('\n'));
    const out = join(dir, 'out');
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', out, '--backend', 'wasm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { model, specs } = await loadExported(join(out, 'model'));
    expect(specs.map((s) => s.name).sort()).toEqual(original.weights.map((w) => w.originalName).sort());
    expect(model.layers.find((l) => l.name === 'encoder')?.getClassName()).toBe('Sequential');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(Math.abs(accuracyOf(model, out) - report.final.metrics.accuracy)).toBeLessThanOrEqual(0.005);
  }, 60_000);
});

describe('custom layer classes from a plugin', () => {
  it('a model using a plugin\'s layer loads, trains and exports', async () => {
    const dir = tempDir('condense-custom-layer-');
    // the plugin imports @tensorflow/tfjs as the recipe's project would: from its own node_modules
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'scale.mjs'), [
      "import * as tf from '@tensorflow/tfjs';",
      'class Scale extends tf.layers.Layer {',
      "  static className = 'Scale';",
      '  constructor(config) { super(config); this.factor = config.factor ?? 1; }',
      '  call(inputs) { return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.factor)); }',
      '  getConfig() { return { ...super.getConfig(), factor: this.factor }; }',
      '}',
      'export const layers = [Scale];', '',
    ].join('\n'));
    const { layers } = await import(join(dir, 'scale.mjs')) as { layers: Array<new (c: object) => tf.layers.Layer> };
    const input = tf.input({ shape: [784] });
    const hidden = tf.layers.dense({ units: 8, activation: 'relu', name: 'hidden' }).apply(input) as tf.SymbolicTensor;
    const scaled = new layers[0]!({ factor: 0.5, name: 'halve' }).apply(hidden) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 10, activation: 'softmax', name: 'out' }).apply(scaled) as tf.SymbolicTensor;
    await writeModel(tf.model({ inputs: input, outputs: out }), join(dir, 'm'));
    const recipe = (plugins: string) => [
      'version: 1', 'name: custom-layer', 'data: { dataset: mnist, limit: 200 }', 'model: { path: ./m/model.json }', plugins,
      'stages:', '  - { name: base, type: train, epochs: 1, batchSize: 50 }', '  - { name: q, type: quantize }', '',
    ].join('\n');
    writeFileSync(join(dir, 'without.yaml'), recipe(''));
    const refused = runCli(['run', join(dir, 'without.yaml'), '--out', join(dir, 'out0'), '--backend', 'wasm']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/Scale/);
    writeFileSync(join(dir, 'recipe.yaml'), recipe('plugins: [./scale.mjs]'));
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'out'), '--backend', 'wasm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const exported = JSON.parse(readFileSync(join(dir, 'out', 'model', 'model.json'), 'utf8'));
    expect(JSON.stringify(exported.modelTopology)).toContain('"class_name":"Scale"');
  }, 60_000);
});
