#!/usr/bin/env node
// The native addon calls of one training step of a bench model, on the engine-free path and on
// the engine path (CONDENSE_FAST_STEP=off), written one per line (function, array lengths, other
// arguments) to <out>-fast.log and <out>-engine.log: `diff <(sort a) <(sort b)` shows any kernel
// one path runs and the other does not. A diagnostic for src/model/fast-step, not part of `npm run bench`.
//
// Usage: npm run build && node bench/addon-calls.mjs [--model lenet5] [--out /tmp/addon-calls]
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../dist/backend/select.js';
import { addon } from '../dist/backend/native/util.js';
import { makeOptimizer, trainingStepFor } from '../dist/model/fit.js';
import { describeOutputs } from '../dist/model/outputs.js';
import { BENCH_MODELS } from './models.mjs';

const args = process.argv.slice(2);
const value = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
const spec = BENCH_MODELS[value('--model', 'lenet5')];
const out = value('--out', '/tmp/addon-calls');
await loadBackend('native');

let log;
const a = addon();
for (const [name, fn] of Object.entries(a)) {
  if (typeof fn !== 'function') continue;
  a[name] = (...xs) => {
    log?.push(`${name}(${xs.map((x) => (ArrayBuffer.isView(x) ? `[${x.length}]` : JSON.stringify(x))).join(', ')})`);
    return fn(...xs);
  };
}
for (const path of ['fast', 'engine']) {
  if (path === 'engine') process.env.CONDENSE_FAST_STEP = 'off';
  const model = spec.make();
  const step = trainingStepFor({ model, optimizer: makeOptimizer({ name: 'adam', learningRate: 1e-3 }), outputs: describeOutputs(model) });
  const xs = tf.randomUniform([spec.batch, ...spec.inputShape]);
  const labels = Int32Array.from({ length: spec.batch }, (_, i) => i % spec.classes);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), spec.classes));
  await step.run(xs, ys, labels); // the first step creates Adam's moments
  log = [];
  await step.run(xs, ys, labels);
  writeFileSync(`${out}-${path}.log`, `${log.join('\n')}\n`);
  console.log(`${path} (${step.path}${step.reason ? `: ${step.reason}` : ''}): ${log.length} addon calls, ${out}-${path}.log`);
  log = undefined;
}
