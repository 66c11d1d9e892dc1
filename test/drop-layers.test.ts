// Dropping a residual branch through the CLI: `plan` refuses a non-residual target at its place in
// the recipe; `run` exports a model the stock loader reads, with exactly that branch's params gone.
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExported, runCli, tempDir, useTestBackend } from './helpers.js';
import { writeModel } from './user-models.js';

/** input → stem → two residual branches (branch1: dense → dense; branch2: one dense), each joined by an Add → out. */
function residualMlp(): tf.LayersModel {
  const dense = (units: number, name: string, activation: 'relu' | 'softmax' | 'linear' = 'relu') =>
    tf.layers.dense({ units, activation, name, kernelInitializer: tf.initializers.glorotUniform({ seed: name.length }) });
  const input = tf.input({ shape: [784], name: 'pixels' });
  const stem = dense(16, 'stem').apply(input) as tf.SymbolicTensor;
  const b1 = dense(16, 'branch1_b').apply(dense(12, 'branch1_a').apply(stem)) as tf.SymbolicTensor;
  const add1 = tf.layers.add({ name: 'add1' }).apply([stem, b1]) as tf.SymbolicTensor;
  const b2 = dense(16, 'branch2').apply(add1) as tf.SymbolicTensor;
  const add2 = tf.layers.add({ name: 'add2' }).apply([b2, add1]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: dense(10, 'out', 'softmax').apply(add2) as tf.SymbolicTensor });
}

const recipe = (drop: string) => [
  'version: 1', 'name: drop-branch', 'data: { dataset: mnist, limit: 300 }', 'model: { path: ./m/model.json }', 'stages:',
  `  - { name: drop, type: prune, method: layers, drop: [${drop}] }`, '  - { name: tune, type: finetune, epochs: 1, batchSize: 32 }', '',
].join('\n');

beforeAll(async () => {
  await useTestBackend();
});

describe('prune method layers through the CLI', () => {
  it('plan refuses a layer that is not a residual merge, located in the recipe', async () => {
    const dir = tempDir('condense-drop-');
    await writeModel(residualMlp(), join(dir, 'm'));
    writeFileSync(join(dir, 'recipe.yaml'), recipe('add2, branch1_a'));
    const plan = runCli(['plan', join(dir, 'recipe.yaml'), '--out', join(dir, 'out'), '--backend', 'wasm']);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stderr).toContain('recipe.yaml:6:61: cannot remove branch1_a: branch1_a is a Dense, not an Add');
    expect(plan.stderr).toContain('hint: removable: branch1, add1');
  }, 60_000);

  it('removing the residual branch of one Add leaves a loadable model with exactly that branch\'s params gone', async () => {
    const dir = tempDir('condense-drop-');
    const original = residualMlp();
    await writeModel(original, join(dir, 'm'));
    writeFileSync(join(dir, 'recipe.yaml'), recipe('add1'));
    const out = join(dir, 'out');
    const run = runCli(['run', join(dir, 'recipe.yaml'), '--out', out, '--backend', 'wasm', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { model } = await loadExported(join(out, 'model'));
    const branch = ['branch1_a', 'branch1_b'].reduce((n, l) => n + original.getLayer(l).countParams(), 0);
    expect(model.countParams()).toBe(original.countParams() - branch);
    expect(model.layers.map((l) => l.name)).toEqual(['pixels', 'stem', 'branch2', 'add2', 'out']);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.stages[0].metrics.params).toBe(original.countParams() - branch);
    expect(report.stages[0].metrics.removedLayers).toBe(3);
    const x = tf.randomUniform([4, 784], 0, 1, 'float32', 1);
    expect((model.predict(x) as tf.Tensor).shape).toEqual([4, 10]);
  }, 120_000);
});
