import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBuiltinModel } from '../src/model/builtin.js';
import { registerBuiltinLayers } from '../src/model/position-embedding.js';
import { heldOutAccuracy, loadExported, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';

const recipe = join(ROOT, 'recipes/bert-distill.yaml');
const small = [
  'data.limit=600', 'data.maxLength=10', 'model.dim=16', 'model.layers=2',
  'stages.teacher.epochs=4', 'stages.teacher.optimizer.learningRate=0.005', 'stages.teacher.batchSize=32',
  'stages.distill.student.dim=8', 'stages.distill.epochs=3', 'gates.accuracy.min=0.5',
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

describe('bert-distill preset (4-block bert teacher → 1-block bert student, TinyBERT losses)', () => {
  it('trains the teacher, distills a bert with fewer blocks and a quarter of the parameters, quantizes and evaluates it', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const stage = (name: string) => report.stages.find((s: { name: string }) => s.name === name);
    expect(report.stages.map((s: { name: string }) => s.name)).toEqual(['teacher', 'teacher-eval', 'distill', 'quantize', 'final']);
    const [teacher, student] = [stage('teacher-eval').metrics, report.final.metrics];
    expect(teacher.accuracy).toBeGreaterThan(0.6);
    expect(student.params).toBeLessThan(teacher.params / 4);
    expect(student.macs).toBeLessThan(teacher.macs / 4);
    expect(student.accuracy).toBeGreaterThan(0.6);
    // every epoch after the first read the teacher from the cache
    expect(stage('distill').metrics.teacherBatches).toBe(Math.ceil(480 / 64));
  });

  it('checkpoints teacher and student as berts the TF.js loader reads (PositionEmbedding registered), attention included', async () => {
    registerBuiltinLayers();
    const teacher = (await loadExported(join(out, 'stages', '01-teacher', 'model'))).model;
    const student = (await loadExported(join(out, 'stages', '03-distill', 'model'))).model;
    const blocks = (m: tf.LayersModel) => m.layers.filter((l) => /^block\d+_ffn_norm$/.test(l.name)).length;
    expect([blocks(teacher), blocks(student)]).toEqual([2, 1]);
    expect(student.getLayer('block1_head1_attention').getClassName()).toBe('Softmax');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(heldOutAccuracy(teacher, out)).toBeCloseTo(report.stages[1].metrics.accuracy, 6);
  });
});
