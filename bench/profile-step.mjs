#!/usr/bin/env node
// Where a training step spends its time: times every kernel call of a few training steps (Adam,
// condense's optimizer) on one backend and prints the kernels by total time, optionally split by
// input shapes. A diagnostic for choosing what to make faster next; not part of `npm run bench`.
//
// Usage: npm run build && node bench/profile-step.mjs [--model mlp|lenet5|mobilenet|embedding|bert]
//          [--backend native|wasm|cpu] [--steps N] [--by-shape] [--top N] [--cpu]
// --cpu: CPU time (process.cpuUsage) instead of wall time, for the step and each kernel: on a
// shared, loaded machine wall time mostly measures the other jobs.
// Models: those of bench/models.mjs. Inputs are synthetic; timings do not depend on the values.
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../dist/backend/select.js';
import { crossEntropy } from '../dist/compress/distill.js';
import { makeOptimizer } from '../dist/model/fit.js';
import { BENCH_MODELS, cpuClock, timeKernels, trainingStep } from './models.mjs';

const args = process.argv.slice(2);
const value = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
const modelName = value('--model', 'mlp');
const backend = value('--backend', 'native');
const steps = Number(value('--steps', modelName === 'bert' ? 3 : 10));
const top = Number(value('--top', 20));
const byShape = args.includes('--by-shape');
const clock = args.includes('--cpu') ? cpuClock : () => performance.now();

const spec = BENCH_MODELS[modelName];
if (!spec) throw new Error(`--model must be one of ${Object.keys(BENCH_MODELS).join(', ')}`);
await loadBackend(backend);

const { stats } = timeKernels(backend, (name, a) => (byShape
  ? `${name} ${Object.values(a.inputs).map((t) => t?.shape?.join('x') ?? '-').join(', ')}`
  : name), clock);

const model = spec.make();
const optimizer = makeOptimizer({ name: 'adam', learningRate: 1e-3 });
const variables = model.trainableWeights.map((w) => w.read());
const size = spec.batch * spec.inputShape.reduce((a, b) => a * b, 1);
const x = Float32Array.from({ length: size }, (_, i) => (spec.vocab ? (i * 7919) % spec.vocab : ((i * 7919) % 997) / 997));
const labels = Array.from({ length: spec.batch }, (_, i) => i % spec.classes);
let wall = 0;
for (let s = 0; s <= steps; s++) {
  if (s === 1) stats.clear(); // step 0 is a warm-up
  const xs = tf.tensor(x, [spec.batch, ...spec.inputShape]);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), spec.classes);
  const t0 = clock();
  const loss = optimizer.minimize(() => crossEntropy(ys, model.apply(xs, { training: true })), true, variables);
  await loss.data();
  if (s > 0) wall += clock() - t0;
  tf.dispose([loss, xs, ys]);
}
const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
const inKernels = rows.reduce((n, [, s]) => n + s.ms, 0);
console.log(`${modelName} on ${backend}, batch ${spec.batch}: ${(wall / steps).toFixed(2)} ms${clock === cpuClock ? ' CPU time' : ''} per step, ` +
  `${(inKernels / steps).toFixed(2)} ms in kernels (nested kernels count twice), mean of ${steps} steps`);
for (const [name, s] of rows.slice(0, top)) {
  console.log(`${(s.ms / steps).toFixed(2).padStart(9)} ms ${(s.calls / steps).toFixed(1).padStart(6)} calls  ${name}`);
}
// What condense's training loop runs (bench/models.mjs trainingStep: engine-free where eligible).
const condense = trainingStep(modelName);
await condense.step();
const t1 = clock();
for (let s = 0; s < steps; s++) await condense.step();
console.log(`condense's step (${condense.path}${condense.reason ? `: ${condense.reason}` : ''}): ${((clock() - t1) / steps).toFixed(2)} ms${clock === cpuClock ? ' CPU time' : ''} per step, mean of ${steps} steps`);
condense.dispose();
