// Output kinds and shapes end to end: a logits model trains as well as its softmax twin, a model
// whose input holds another number of values is refused before any stage runs, and the builtins
// take shaped examples.
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBuiltinModel } from '../src/model/builtin.js';
import { fit } from '../src/model/fit.js';
import { accuracyAndLoss } from '../src/model/inspect.js';
import { runCli, tempDir, tinyMnist, useTestBackend } from './helpers.js';
import { writeModel } from './user-models.js';

beforeAll(async () => {
  await useTestBackend();
});

/** A functional mlp on [28, 28, 1] ending in softmax, or in a linear layer (logits) with the same weights. */
function twin(head: 'softmax' | 'linear'): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const hidden = tf.layers.dense({ units: 32, activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(flat) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: head, name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function recipe(dir: string, extra = '') {
  writeFileSync(join(dir, 'recipe.yaml'), [
    'version: 1', 'name: twins', 'seed: 2', 'data: { dataset: mnist, limit: 1200 }', `model: { path: ./m/model.json${extra} }`,
    'stages:', '  - { name: base, type: train, epochs: 3, batchSize: 32, optimizer: { name: adam, learningRate: 0.003 } }', '',
  ].join('\n'));
  return join(dir, 'recipe.yaml');
}

describe('a model ending in logits', () => {
  it('reaches the accuracy of the same model with softmax (within 0.02) on the same recipe', async () => {
    const accuracy: Record<string, number> = {};
    for (const head of ['softmax', 'linear'] as const) {
      const dir = tempDir('condense-twin-');
      await writeModel(twin(head), join(dir, 'm'));
      const r = runCli(['run', recipe(dir), '--out', join(dir, 'out'), '--backend', 'wasm', '--json']);
      expect(r.code, r.stderr).toBe(0);
      accuracy[head] = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')).final.metrics.accuracy;
    }
    expect(accuracy.softmax).toBeGreaterThan(0.75);
    expect(Math.abs(accuracy.softmax! - accuracy.linear!)).toBeLessThanOrEqual(0.02);
  }, 60_000);

  it('trains badly when declared as probabilities, which shows the loss really takes logits', async () => {
    const data = tinyMnist(600);
    const run = async (outputs?: 'probabilities') => {
      const model = twin('linear');
      await fit({ model, data, epochs: 2, batchSize: 32, optimizer: { name: 'adam', learningRate: 0.003 }, seed: 1, outputs: outputs ? { outputs } : {} });
      return accuracyAndLoss(model, data.test, data).accuracy!;
    };
    expect(await run()).toBeGreaterThan((await run('probabilities')) + 0.1);
  }, 30_000);
});

describe('shapes that follow the model', () => {
  it('a model whose input holds another number of values exits 2 naming both shapes, before any stage runs', async () => {
    const dir = tempDir('condense-shape-');
    const input = tf.input({ shape: [27, 29, 1] });
    const out = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(tf.layers.flatten().apply(input)) as tf.SymbolicTensor;
    await writeModel(tf.model({ inputs: input, outputs: out }), join(dir, 'm'));
    const started = Date.now();
    const r = runCli(['run', recipe(dir), '--out', join(dir, 'out'), '--backend', 'wasm']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('the model takes inputs of shape [27, 29, 1], but mnist examples have shape [784] (783 values against 784)');
    expect(r.stderr).not.toMatch(/^ {4}at /m);
    expect(r.stdout + r.stderr).not.toMatch(/stage base.*(ran|done)/i);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it('mlp flattens shaped examples with the weights it has on flat ones; lenet5 takes [h, w, 1] as it takes flat squares', () => {
    const flat = buildBuiltinModel({ builtin: 'mlp', hidden: [16] }, [784], 10, 5);
    const shaped = buildBuiltinModel({ builtin: 'mlp', hidden: [16] }, [28, 28, 1], 10, 5);
    expect(shaped.layers[0]!.getClassName()).toBe('Flatten');
    expect(shaped.weights.map((w) => [...w.read().dataSync()])).toEqual(flat.weights.map((w) => [...w.read().dataSync()]));
    const lenetFlat = buildBuiltinModel({ builtin: 'lenet5' }, [784], 10, 5);
    const lenetImage = buildBuiltinModel({ builtin: 'lenet5' }, [28, 28, 1], 10, 5);
    expect(lenetImage.layers.map((l) => l.getClassName())).not.toContain('Reshape');
    expect(lenetImage.weights.map((w) => w.shape)).toEqual(lenetFlat.weights.map((w) => w.shape));
    expect(() => buildBuiltinModel({ builtin: 'lenet5' }, [783], 10, 5)).toThrow(/lenet5 needs images.*\[783\]/);
  });
});
