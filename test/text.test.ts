import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/index.js';
import { makeBatch } from '../src/model/batches.js';
import { buildBuiltinModel } from '../src/model/builtin.js';
import { loadExported, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';
import { parse as parseYaml } from 'yaml';
import { encode, loadSpamAssassinCorpus, messageText, spamLabel, tokenize } from '../src/data/spam-assassin.js';
import { splitRows } from '../src/data/split.js';

const recipe = join(ROOT, 'recipes/spam-distill.yaml');
// A slice of the preset: vocabulary 800, trimmed to the preset's 500 most frequent training tokens.
const small = [
  'data.limit=400', 'data.maxLength=64', 'data.vocabSize=800',
  'stages.teacher.epochs=3', 'stages.distill.epochs=4', 'stages.prune.schedule.epochs=1',
];
const out = tempDir();
let run: ReturnType<typeof runCli>;

beforeAll(async () => {
  await useTestBackend();
  run = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm', ...small.flatMap((s) => ['--set', s])]);
});

/** The held-out mails of run `out` (its resolved recipe's split), tokenized with its vocab.json. */
function heldOutMails(out: string): { x: tf.Tensor2D; labels: number[] } {
  const resolved = parseYaml(readFileSync(join(out, 'recipe.resolved.yaml'), 'utf8'));
  const vocab = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8')) as { maxLength: number; tokens: string[] };
  const ids = new Map(vocab.tokens.map((t, i) => [t, i] as const));
  const mails = loadSpamAssassinCorpus();
  const rows = splitRows(mails.length, { seed: resolved.seed, testFraction: resolved.data.testFraction, limit: resolved.data.limit });
  const x = new Float32Array(rows.test.length * vocab.maxLength);
  rows.test.forEach((m, r) => encode(tokenize(messageText(mails[m]!.text)), ids, vocab.maxLength, x.subarray(r * vocab.maxLength, (r + 1) * vocab.maxLength)));
  return { x: tf.tensor2d(x, [rows.test.length, vocab.maxLength]), labels: Array.from(rows.test, (m) => spamLabel(mails[m]!.group)) };
}

describe('spam-distill preset (SpamAssassin, textmlp teacher → student, vocabulary trimmed)', () => {
  it('runs every stage and distills into a smaller, accurate student', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const [teacher, student, trim] = report.stages;
    expect(report.stages.map((s: { name: string }) => s.name)).toEqual(['teacher', 'distill', 'trim', 'prune', 'finetune', 'quantize', 'final']);
    expect(student.metrics.params).toBeLessThan(teacher.metrics.params / 3);
    expect(teacher.metrics.accuracy).toBeGreaterThan(0.8);
    expect(trim.metrics.vocabSize).toBeLessThanOrEqual(502);
    expect(trim.metrics.params).toBeLessThan(student.metrics.params);
    expect(report.final.metrics.accuracy).toBeGreaterThan(0.8);
    expect(report.final.metrics.sparsity).toBeGreaterThan(0.4);
  });

  it('writes the trimmed vocabulary beside the model', () => {
    const vocab = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8'));
    expect(vocab).toMatchObject({ padding: 0, unknown: 1, maxLength: 64 });
    expect(vocab.tokens.length).toBeLessThanOrEqual(502);
    expect(vocab.tokens.length).toBeGreaterThan(400);
    expect(vocab.tokens.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    expect(new Set(vocab.tokens).size).toBe(vocab.tokens.length);
  });

  it('the stock-loaded model on held-out mails tokenized with vocab.json gives the reported accuracy', async () => {
    const { model } = await loadExported(join(out, 'model'));
    const vocab = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8'));
    expect(model.layers.map((l) => l.name)).toEqual(['embedding', 'pool', 'dense1', 'output']);
    expect(model.getLayer('embedding').getWeights()[0]!.shape).toEqual([vocab.tokens.length, 32]);
    const { x, labels } = heldOutMails(out);
    const predicted = tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(-1).dataSync());
    const accuracy = labels.filter((y, i) => predicted[i] === y).length / labels.length;
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
