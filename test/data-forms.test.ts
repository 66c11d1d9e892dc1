// The bars for a user's data: Fashion-MNIST written as a PNG folder tree (train and test),
// as CSV, as .npy and as JSONL, each run through the same recipe on a functional MobileNet-style
// model: same split sizes, accuracies within 0.02 of the image-folder run, and the image-folder
// run's exported model, read by the stock loader, predicting the test folder as reported.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExported, requireSystemDep, runCliAsync, tempDir, useTestBackend } from './helpers.js';
import { mobileNetStyle, writeModel } from './user-models.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const COUNTS = { train: 1200, test: 400 };
let dir: string;
const splits: Record<'train' | 'test', { pixels: Uint8Array; labels: Uint8Array }> = {} as never;

/**
 * The first `count` images (28×28 bytes each) and labels of an IDX pair, ordered by label (stably):
 * the order an image folder of class subfolders enumerates them in, so that every form holds the
 * same examples in the same order and the runs differ only by how the files are read.
 */
function idx(prefix: string, count: number) {
  const images = gunzipSync(readFileSync(join(FASHION, `${prefix}-images-idx3-ubyte.gz`))).subarray(16, 16 + count * 784);
  const labels = gunzipSync(readFileSync(join(FASHION, `${prefix}-labels-idx1-ubyte.gz`))).subarray(8, 8 + count);
  const order = Array.from(labels.keys()).sort((a, b) => labels[a]! - labels[b]! || a - b);
  const pixels = new Uint8Array(count * 784);
  order.forEach((from, to) => pixels.set(images.subarray(from * 784, (from + 1) * 784), to * 784));
  return { pixels, labels: Uint8Array.from(order, (i) => labels[i]!) };
}

/** A NumPy .npy file (version 1.0, C order) of `data` with `descr` and `shape`. */
function npy(descr: string, shape: number[], data: Uint8Array): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

function writeForms(): void {
  const value = (b: number) => (b / 255).toFixed(7);
  for (const split of ['train', 'test'] as const) {
    const { pixels, labels } = splits[split];
    const csv = [['label', ...Array.from({ length: 784 }, (_, i) => `p${i}`)].join(',')];
    const jsonl: string[] = [];
    const floats = new Float32Array(pixels.length);
    labels.forEach((label, i) => {
      const image = pixels.subarray(i * 784, (i + 1) * 784);
      const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, inputHasAlpha: false });
      png.data = Buffer.from(image);
      mkdirSync(join(dir, 'images', split, String(label)), { recursive: true });
      writeFileSync(join(dir, 'images', split, String(label), `${String(i).padStart(5, '0')}.png`), PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
      csv.push([label, ...Array.from(image, value)].join(','));
      jsonl.push(JSON.stringify({ label, x: Array.from(image, (b) => Number(value(b))) }));
      for (let k = 0; k < 784; k++) floats[i * 784 + k] = Number(value(image[k]!));
    });
    writeFileSync(join(dir, `${split}.csv`), csv.join('\r\n') + '\r\n');
    writeFileSync(join(dir, `${split}.jsonl`), jsonl.join('\n') + '\n');
    writeFileSync(join(dir, `${split}-x.npy`), npy('<f4', [labels.length, 28, 28, 1], new Uint8Array(floats.buffer)));
    writeFileSync(join(dir, `${split}-y.npy`), npy('|u1', [labels.length], labels));
  }
}

const DATA = {
  images: '{ dataset: images, path: ./images/train, testPath: ./images/test, channels: 1 }',
  csv: '{ dataset: csv, path: ./train.csv, testPath: ./test.csv }',
  npy: '{ dataset: npy, x: ./train-x.npy, y: ./train-y.npy, testX: ./test-x.npy, testY: ./test-y.npy }',
  jsonl: '{ dataset: jsonl, path: ./train.jsonl, testPath: ./test.jsonl }',
};

async function run(form: keyof typeof DATA) {
  const file = join(dir, `${form}.yaml`);
  writeFileSync(file, ['version: 1', `name: fashion-${form}`, 'seed: 3', `data: ${DATA[form]}`, 'model: { path: ./model/model.json }', 'stages:',
    '  - { name: base, type: train, epochs: 2, batchSize: 32, optimizer: { name: adam, learningRate: 0.01 } }',
    '  - { name: prune, type: prune, sparsity: 0.5, schedule: { kind: polynomial, epochs: 1 }, include: ["type:Conv2D", "type:Dense"], batchSize: 32 }',
    '  - { name: tune, type: finetune, epochs: 1, batchSize: 32 }',
    '  - { name: quantize, type: quantize, weights: { dtype: uint8 } }',
    '  - { name: final, type: evaluate, metrics: [sizeBytes] }', ''].join('\n'));
  const out = join(dir, `run-${form}`);
  const r = await runCliAsync(['run', file, '--out', out, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return { out, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

beforeAll(async () => {
  await useTestBackend();
  if (!existsSync(FASHION)) return;
  dir = tempDir('condense-data-forms-');
  splits.train = idx('train', COUNTS.train);
  splits.test = idx('t10k', COUNTS.test);
  writeForms();
  await writeModel(mobileNetStyle(5), join(dir, 'model'));
}, 120_000);

describe('Fashion-MNIST as an image folder, CSV, .npy and JSONL', () => {
  it('the image-folder run exits 0 and its stock-loaded export predicts the test folder as reported (±0.005); the other forms agree within 0.02', async (ctx) => {
    requireSystemDep(ctx, 'dataset-fashion-mnist', existsSync(FASHION), `apt-get install dataset-fashion-mnist (${FASHION})`);
    // The four runs are independent (each its own recipe and directory): they run together.
    const [images, ...others] = await Promise.all((['images', 'csv', 'npy', 'jsonl'] as const).map(run));
    const { model } = await loadExported(join(images.out, 'model'));
    expect(model.getClassName()).toBe('Model');
    const xs = tf.tensor4d(Float32Array.from(splits.test.pixels, (b) => b / 255), [COUNTS.test, 28, 28, 1]);
    const predicted = (model.predict(xs) as tf.Tensor).argMax(-1).dataSync();
    const accuracy = Array.from(splits.test.labels).filter((l, i) => predicted[i] === l).length / COUNTS.test;
    expect(Math.abs(accuracy - images.report.final.metrics.accuracy)).toBeLessThanOrEqual(0.005);
    expect(images.report.final.metrics.accuracy).toBeGreaterThan(0.5);
    for (const [i, form] of (['csv', 'npy', 'jsonl'] as const).entries()) {
      const { report } = others[i]!;
      expect(Math.abs(report.final.metrics.accuracy - images.report.final.metrics.accuracy), form).toBeLessThanOrEqual(0.02);
    }
  }, 300_000);
});
