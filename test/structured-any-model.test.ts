// Structured pruning of a model.path functional model through the CLI: `plan` names the layer the
// dependency graph does not know before anything runs; `run` shrinks what it can and exports a
// model the stock loader reads with the smaller shapes.
import * as tf from '@tensorflow/tfjs';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExported, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';
import { writeModel } from './user-models.js';

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
