import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBuiltinModel } from '../src/model/builtin.js';
import { heldOutAccuracy, loadExported, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';

const recipe = join(ROOT, 'recipes/bert-distill.yaml');
const small = [
  'data.limit=300', 'data.maxLength=24', 'data.vocabSize=300', 'model.dim=32', 'model.layers=1',
  'stages.teacher.epochs=4', 'stages.teacher.optimizer.learningRate=0.005', 'stages.distill.epochs=3',
  'stages.prune.schedule.epochs=1', 'gates.accuracy.min=0.7',
];
const out = tempDir();
let run: ReturnType<typeof runCli>;

beforeAll(async () => {
  await useTestBackend();
  run = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm', ...small.flatMap((s) => ['--set', s])]);
});

describe('bert builtin', () => {
  it('builds a seeded self-attention encoder from stock layers; heads must divide dim', () => {
    const build = (seed: number) => buildBuiltinModel({ builtin: 'bert', dim: 8, layers: 2, heads: 2 }, [12], 2, seed, 50);
    const model = build(3);
    const names = model.layers.map((l) => l.name);
    expect(names).toEqual(expect.arrayContaining(['embedding', 'position_conv', 'block1_head2_attention', 'block2_ffn_norm', 'pool', 'output']));
    expect(model.getLayer('block1_head1_query').getWeights()[0]!.shape).toEqual([8, 4]);
    expect(model.getLayer('block1_ffn_inner').getWeights()[0]!.shape).toEqual([8, 32]);
    expect(Array.from(build(3).getWeights()[1]!.dataSync())).toEqual(Array.from(model.getWeights()[1]!.dataSync()));
    expect(Array.from(build(4).getWeights()[1]!.dataSync())).not.toEqual(Array.from(model.getWeights()[1]!.dataSync()));
    const probs = model.predict(tf.tensor2d(Array.from({ length: 24 }, (_, i) => i % 50), [2, 12])) as tf.Tensor;
    expect(probs.shape).toEqual([2, 2]);
    expect(() => buildBuiltinModel({ builtin: 'bert', dim: 10, heads: 4 }, [12], 2, 1, 50)).toThrow(/multiple of heads/);
    expect(() => buildBuiltinModel({ builtin: 'bert' }, [784], 10, 1)).toThrow(/text dataset/);
  });

  it('a recipe naming dim and heads that do not divide is refused before anything runs', () => {
    const r = runCli(['resolve', recipe, '--set', 'model.heads=3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bert: dim \(64\) must be a multiple of heads \(3\)/);
  });
});

describe('bert-distill preset (BERT-style teacher → embedding-MLP student)', () => {
  it('trains the teacher and distills it into a much smaller, accurate student', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const [teacher, student] = report.stages;
    expect(report.stages.map((s: { name: string }) => s.name)).toEqual(['teacher', 'distill', 'prune', 'finetune', 'quantize', 'final']);
    expect(teacher.metrics.accuracy).toBeGreaterThan(0.75);
    expect(student.metrics.params).toBeLessThan(teacher.metrics.params / 2);
    expect(report.final.metrics.accuracy).toBeGreaterThan(0.75);
  });

  it('checkpoints the teacher as a model the stock loader reads, attention included', async () => {
    const { model } = await loadExported(join(out, 'stages', '01-teacher', 'model'));
    expect(model.getLayer('block1_head1_attention').getClassName()).toBe('Softmax');
    const accuracy = heldOutAccuracy(model, out);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(accuracy).toBeCloseTo(report.stages[0].metrics.accuracy, 6);
  });
});
