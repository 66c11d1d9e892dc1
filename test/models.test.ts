import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { buildBuiltinModel } from '../src/model/builtin.js';
import { loadModelFromPath, modelFiles } from '../src/model/io.js';
import { fit } from '../src/model/fit.js';
import { makeBatch } from '../src/model/batches.js';
import { crossEntropy } from '../src/compress/distill.js';
import { tempDir, tinyMnist } from './helpers.js';

beforeAll(async () => {
  // LeNet-5 training needs conv filter gradients, which the stock wasm backend lacks.
  await selectBackend('cpu');
});

describe('builtin models', () => {
  it('builds the same weights from the same seed and different ones from another', () => {
    const w = (seed: number) => buildBuiltinModel({ builtin: 'mlp', hidden: [8] }, [784], 10, seed).getWeights()[0]!.dataSync();
    expect(Array.from(w(1))).toEqual(Array.from(w(1)));
    expect(Array.from(w(1))).not.toEqual(Array.from(w(2)));
  });

  it('lenet5 takes flat pixels, outputs probabilities and trains a step', async () => {
    const model = buildBuiltinModel({ builtin: 'lenet5' }, [784], 10, 3);
    expect(model.layers.map((l) => l.getClassName())).toContain('Conv2D');
    const data = tinyMnist(64);
    const out = model.predict(tf.zeros([2, 784])) as tf.Tensor;
    expect(out.shape).toEqual([2, 10]);
    expect(out.sum(-1).dataSync()[0]).toBeCloseTo(1, 5);
    const before = model.getLayer('conv1').getWeights()[0]!.dataSync().slice();
    const history = await fit({ model, data, epochs: 1, batchSize: 16, optimizer: { name: 'adam', learningRate: 0.001 }, seed: 1 });
    expect(Number.isFinite(history[0]!.loss)).toBe(true);
    expect(history[0]!.loss).toBeGreaterThan(0);
    expect(Array.from(model.getLayer('conv1').getWeights()[0]!.dataSync())).not.toEqual(Array.from(before));
  });

  it('fit reports the mean cross-entropy and accuracy of the model\'s predictions, by hand', async () => {
    // A learning rate of 0 keeps the weights, so every batch sees the same model and the epoch's
    // mean loss must equal −mean(ln p[label]) over the training split, computed here in float64.
    const model = buildBuiltinModel({ builtin: 'mlp', hidden: [16] }, [784], 10, 5);
    const data = tinyMnist(100, 3);
    const batch = makeBatch(data.train, data.inputShape, data.numClasses, null, 0, data.train.count);
    const probs = (model.predict(batch.xs) as tf.Tensor).arraySync() as number[][];
    const labels = Array.from(batch.labels);
    const expectedLoss = -labels.reduce((sum, label, i) => sum + Math.log(probs[i]![label]!), 0) / labels.length;
    const argmax = (row: number[]) => row.indexOf(Math.max(...row));
    const expectedAccuracy = labels.filter((label, i) => argmax(probs[i]!) === label).length / labels.length;
    // 75 training rows in batches of 16: the last batch is short, so a plain mean of batch losses would differ.
    const [epoch] = await fit({ model, data, epochs: 1, batchSize: 16, optimizer: { name: 'sgd', learningRate: 0 }, seed: 2 });
    expect(data.train.count).toBe(75);
    expect(epoch!.loss).toBeCloseTo(expectedLoss, 5);
    expect(epoch!.accuracy).toBe(expectedAccuracy);
    tf.dispose([batch.xs, batch.ys]);
  });

  it('crossEntropy is −mean ln p[label] on known probabilities, clipping zeros', () => {
    const labels = tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    const probs = tf.tensor2d([[0.7, 0.2, 0.1], [0.25, 0.5, 0.25], [0.5, 0.5, 0]]);
    const loss = crossEntropy(labels, probs).dataSync()[0]!;
    const clipped = -Math.log(1e-7); // the 0 probability is clipped to 1e-7, not ln 0 = −∞
    expect(loss).toBeCloseTo((-Math.log(0.7) - Math.log(0.5) + clipped) / 3, 4);
  });

  it('loads a LayersModel from disk through the filesystem handler (model.path)', async () => {
    const model = buildBuiltinModel({ builtin: 'mlp', hidden: [4] }, [784], 10, 1);
    const dir = join(tempDir(), 'm');
    mkdirSync(dir);
    for (const [name, bytes] of await modelFiles(model)) writeFileSync(join(dir, name), bytes);
    const loaded = await loadModelFromPath(join(dir, 'model.json'));
    const x = tf.randomUniform([3, 784], 0, 1, 'float32', 1);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    await expect(loadModelFromPath(join(dir, 'missing.json'))).rejects.toThrow(/cannot read/);
  });
});
