#!/usr/bin/env node
// Where a training step spends its time: times every kernel call of a few training steps (Adam,
// condense's optimizer) on one backend and prints the kernels by total time, optionally split by
// input shapes. A diagnostic for choosing what to make faster next; not part of `npm run bench`.
//
// Usage: npm run build && node bench/profile-step.mjs [--model mlp|lenet5|embedding|bert]
//          [--backend native|wasm|cpu] [--steps N] [--by-shape] [--top N]
// Models: mlp 784-300-100-10 (batch 128); lenet5 (batch 128); embedding: 2,000 tokens x 128,
// embedding 128, layer norm, pooling, dense 128 (batch 128); bert: builtin bert dim 64, 2 blocks,
// 2 heads, 128 tokens (batch 32). Inputs are synthetic; timings do not depend on the values.
import * as tf from '@tensorflow/tfjs';
import { loadBackend } from '../dist/backend/select.js';
import { crossEntropy } from '../dist/compress/distill.js';
import { buildBuiltinModel } from '../dist/model/builtin.js';
import { makeOptimizer } from '../dist/model/fit.js';

const args = process.argv.slice(2);
const value = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
const modelName = value('--model', 'mlp');
const backend = value('--backend', 'native');
const steps = Number(value('--steps', modelName === 'bert' ? 3 : 10));
const top = Number(value('--top', 20));
const byShape = args.includes('--by-shape');

const MODELS = {
  mlp: { batch: 128, input: [784], classes: 10, make: () => buildBuiltinModel({ builtin: 'mlp', hidden: [300, 100] }, [784], 10, 1) },
  lenet5: { batch: 128, input: [784], classes: 10, make: () => buildBuiltinModel({ builtin: 'lenet5' }, [784], 10, 1) },
  embedding: {
    batch: 128, input: [128], classes: 2, vocab: 2000,
    make: () => tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 2000, outputDim: 128, inputLength: 128, inputShape: [128] }),
      tf.layers.layerNormalization({}),
      tf.layers.globalAveragePooling1d({}),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ] }),
  },
  bert: { batch: 32, input: [128], classes: 2, vocab: 2000, make: () => buildBuiltinModel({ builtin: 'bert', dim: 64, layers: 2, heads: 2 }, [128], 2, 1, 2000) },
};
const spec = MODELS[modelName];
if (!spec) throw new Error(`--model must be one of ${Object.keys(MODELS).join(', ')}`);
await loadBackend(backend);

const stats = new Map();
for (const cfg of tf.getKernelsForBackend(backend)) {
  tf.unregisterKernel(cfg.kernelName, backend);
  tf.registerKernel({ ...cfg, kernelFunc: (a) => {
    const t0 = performance.now();
    const out = cfg.kernelFunc(a);
    const ms = performance.now() - t0;
    const key = byShape
      ? `${cfg.kernelName} ${Object.values(a.inputs).map((t) => t?.shape?.join('x') ?? '-').join(', ')}`
      : cfg.kernelName;
    const s = stats.get(key) ?? { calls: 0, ms: 0 };
    s.calls++;
    s.ms += ms;
    stats.set(key, s);
    return out;
  } });
}

const model = spec.make();
const optimizer = makeOptimizer({ name: 'adam', learningRate: 1e-3 });
const variables = model.trainableWeights.map((w) => w.read());
const size = spec.batch * spec.input.reduce((a, b) => a * b, 1);
const x = Float32Array.from({ length: size }, (_, i) => (spec.vocab ? (i * 7919) % spec.vocab : ((i * 7919) % 997) / 997));
const labels = Array.from({ length: spec.batch }, (_, i) => i % spec.classes);
let wall = 0;
for (let s = 0; s <= steps; s++) {
  if (s === 1) stats.clear(); // step 0 is a warm-up
  const xs = tf.tensor(x, [spec.batch, ...spec.input]);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), spec.classes);
  const t0 = performance.now();
  const loss = optimizer.minimize(() => crossEntropy(ys, model.apply(xs, { training: true })), true, variables);
  await loss.data();
  if (s > 0) wall += performance.now() - t0;
  tf.dispose([loss, xs, ys]);
}
const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
const inKernels = rows.reduce((n, [, s]) => n + s.ms, 0);
console.log(`${modelName} on ${backend}, batch ${spec.batch}: ${(wall / steps).toFixed(2)} ms per step, ` +
  `${(inKernels / steps).toFixed(2)} ms in kernels (nested kernels count twice), mean of ${steps} steps`);
for (const [name, s] of rows.slice(0, top)) {
  console.log(`${(s.ms / steps).toFixed(2).padStart(9)} ms ${(s.calls / steps).toFixed(1).padStart(6)} calls  ${name}`);
}
