import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/index.js';
import { makeBatch } from '../src/model/batches.js';
import { buildBuiltinModel } from '../src/model/builtin.js';
import { heldOutAccuracy, loadExported, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';

const recipe = join(ROOT, 'recipes/spam-distill.yaml');
const small = [
  'data.limit=400', 'data.maxLength=64', 'data.vocabSize=500',
  'stages.teacher.epochs=3', 'stages.distill.epochs=4', 'stages.prune.schedule.epochs=1',
];
const out = tempDir();
let run: ReturnType<typeof runCli>;

beforeAll(async () => {
  await useTestBackend();
  run = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm', ...small.flatMap((s) => ['--set', s])]);
});

describe('spam-distill preset (SpamAssassin, textmlp teacher → student)', () => {
  it('runs every stage and distills into a smaller, accurate student', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const [teacher, student] = report.stages;
    expect(report.stages.map((s: { name: string }) => s.name)).toEqual(['teacher', 'distill', 'prune', 'finetune', 'quantize', 'final']);
    expect(student.metrics.params).toBeLessThan(teacher.metrics.params / 3);
    expect(teacher.metrics.accuracy).toBeGreaterThan(0.8);
    expect(report.final.metrics.accuracy).toBeGreaterThan(0.8);
    expect(report.final.metrics.sparsity).toBeGreaterThan(0.4);
  });

  it('writes the vocabulary beside the model, matching the dataset the run used', () => {
    const vocab = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8'));
    expect(vocab).toMatchObject({ padding: 0, unknown: 1, maxLength: 64 });
    expect(vocab.tokens).toHaveLength(500);
    expect(vocab.tokens.slice(0, 2)).toEqual(['<pad>', '<unk>']);
  });

  it('exports a stock-loadable model whose predictions give the reported accuracy', async () => {
    const { model } = await loadExported(join(out, 'model'));
    expect(model.layers.map((l) => l.name)).toEqual(['embedding', 'pool', 'dense1', 'output']);
    expect(model.getLayer('embedding').getWeights()[0]!.shape).toEqual([500, 32]);
    const accuracy = heldOutAccuracy(model, out);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(accuracy).toBe(report.final.metrics.accuracy);
  });
});

describe('textmlp on the test backend', () => {
  it('takes its embedding size from the dataset and trains the embedding (gather gradient)', () => {
    const data = loadDataset({ dataset: 'spam-assassin', testFraction: 0.25, limit: 40, vocabSize: 300, maxLength: 16 }, 1, ROOT);
    const model = buildBuiltinModel({ builtin: 'textmlp', dim: 8, hidden: [4] }, data.inputShape, data.numClasses, 1, data.vocabSize);
    expect(model.getLayer('embedding').getWeights()[0]!.shape).toEqual([300, 8]);
    const again = buildBuiltinModel({ builtin: 'textmlp', dim: 8, hidden: [4] }, data.inputShape, data.numClasses, 1, data.vocabSize);
    expect(Array.from(again.getWeights()[0]!.dataSync())).toEqual(Array.from(model.getWeights()[0]!.dataSync()));
    expect(() => buildBuiltinModel({ builtin: 'textmlp' }, [784], 10, 1)).toThrow(/text dataset/);
    // Two messages: 32 token positions, so most of the 300 rows are absent from the batch.
    const batch = makeBatch(data.train, data.inputShape, data.numClasses, null, 0, 2);
    const embedding = model.getLayer('embedding').trainableWeights[0]!.read() as tf.Variable;
    const before = embedding.dataSync().slice();
    const optimizer = tf.train.sgd(1);
    optimizer.minimize(() => tf.losses.softmaxCrossEntropy(batch.ys, model.apply(batch.xs) as tf.Tensor) as tf.Scalar);
    const after = embedding.dataSync();
    // rows of ids that occur in the batch change (padding too: it is averaged in), the others do not
    const row = (values: ArrayLike<number>, id: number) => Array.from(values).slice(id * 8, id * 8 + 8);
    const seen = new Set(Array.from(data.train.x.subarray(0, 2 * 16)));
    const ids = [...Array(300).keys()];
    const unseen = ids.filter((id) => !seen.has(id));
    expect(seen.size).toBeGreaterThan(5);
    expect(unseen.length).toBeGreaterThan(250);
    expect(ids.filter((id) => seen.has(id) && row(after, id).join() === row(before, id).join())).toEqual([]);
    expect(ids.filter((id) => !seen.has(id) && row(after, id).join() !== row(before, id).join())).toEqual([]);
  });
});
