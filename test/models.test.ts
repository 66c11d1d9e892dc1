import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.js';
import { buildBuiltinModel } from '../src/model/builtin.js';
import { loadModelFromPath, modelFiles } from '../src/model/io.js';
import { fit } from '../src/model/fit.js';
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
    expect(history[0]!.loss).toBeGreaterThan(0);
    expect(Array.from(model.getLayer('conv1').getWeights()[0]!.dataSync())).not.toEqual(Array.from(before));
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
