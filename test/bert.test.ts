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
  'stages.distill.student.dim=8', 'stages.distill.epochs=3', 'stages.recover.epochs=1', 'gates.accuracy.min=0.5',
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
    expect(report.stages.map((s: { name: string }) => s.name)).toEqual(['teacher', 'teacher-eval', 'distill', 'prune', 'recover', 'quantize', 'final']);
    // one of the student's two heads and half its feed-forward neurons went
    expect(stage('prune').metrics).toMatchObject({ removedHeads: 1, removedUnits: 16 });
    expect(stage('prune').metrics.params).toBeLessThan(stage('distill').metrics.params);
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
    const pruned = (await loadExported(join(out, 'model'))).model;
    expect(pruned.layers.filter((l) => /^block1_head\d_attention$/.test(l.name))).toHaveLength(1);
    expect(pruned.getLayer('block1_ffn_inner').getWeights()[0]!.shape).toEqual([8, 16]);
  });

  it('report.md puts teacher and student side by side, with the student\'s share of the teacher\'s accuracy', () => {
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const [teacher, student] = [report.stages[1].metrics, report.final.metrics];
    const share = `${((100 * student.accuracy) / teacher.accuracy).toFixed(1)}%`;
    expect(md).toContain(`| accuracy (student: share of teacher) | ${teacher.accuracy.toFixed(4)} | ${student.accuracy.toFixed(4)} | ${share} |`);
    expect(md).toMatch(/\| params \| [\d,]+ \| [\d,]+ \| 0\.\d{3}× \|/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Teacher and student');
  });
});
