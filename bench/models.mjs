// What the training benchmarks share: the models they time, one training step of them, a seeded PRNG, and per-kernel timers.
// Used by native.mjs, step-ceiling.mjs, pytorch.mjs and profile-step.mjs (wasm.mjs keeps its own, older set).
import * as tf from '@tensorflow/tfjs';
import { buildBuiltinModel } from '../dist/model/builtin.js';
import { makeOptimizer, trainingStepFor } from '../dist/model/fit.js';
import { describeOutputs } from '../dist/model/outputs.js';

/** Deterministic PRNG (mulberry32): a function returning floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The benchmark models, trained with Adam: `make()` builds one, `inputShape` excludes the batch,
 * `vocab` marks token-id inputs.
 * - mlp: 784-300-100-10 (relu, relu, softmax), the quickstart's LeNet-300-100; batch 128
 * - lenet5: conv 6@5x5 same relu, maxpool 2, conv 16@5x5 relu, maxpool 2, dense 120-84-10; batch 128
 * - embedding: the spam-distill teacher's shape plus layer norm (2,000-token vocabulary, 128
 *   tokens, embedding 128, layer norm, average pooling, dense 128 relu, softmax 2); batch 128
 * - bert: the bert-distill teacher (builtin bert: dim 64, 2 blocks, 2 heads, 128 tokens); batch 32
 * - mobilenet: examples/own-model's MobileNet-style CNN (depthwise + BN + residual), below
 */
export const BENCH_MODELS = {
  mlp: {
    inputShape: [784], classes: 10, batch: 128,
    make: () => tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [784], units: 300, activation: 'relu' }),
      tf.layers.dense({ units: 100, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ] }),
  },
  lenet5: {
    inputShape: [28, 28, 1], classes: 10, batch: 128,
    make: () => tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ] }),
  },
  embedding: {
    inputShape: [128], classes: 2, batch: 128, vocab: 2000,
    make: () => tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 2000, outputDim: 128, inputLength: 128, inputShape: [128] }),
      tf.layers.layerNormalization({}),
      tf.layers.globalAveragePooling1d({}),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ] }),
  },
  bert: {
    inputShape: [128], classes: 2, batch: 32, vocab: 2000,
    make: () => buildBuiltinModel({ builtin: 'bert', dim: 64, layers: 2, heads: 2 }, [128], 2, 1, 2000),
  },
};

/** Milliseconds of this process's CPU time (user + system): what a busy shared machine does not inflate. */
export const cpuClock = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/**
 * Wraps every kernel of `backend` with a timer until `restore()` is called. `stats` maps
 * `keyOf(kernelName, args)` (default: the kernel name) to {calls, ms}; `clock` returns ms
 * (default wall time; {@link cpuClock} for CPU time).
 */
export function timeKernels(backend, keyOf = (name) => name, clock = () => performance.now()) {
  const configs = tf.getKernelsForBackend(backend);
  const stats = new Map();
  for (const cfg of configs) {
    tf.unregisterKernel(cfg.kernelName, backend);
    tf.registerKernel({ ...cfg, kernelFunc: (a) => {
      const t0 = clock();
      const out = cfg.kernelFunc(a);
      const key = keyOf(cfg.kernelName, a);
      const s = stats.get(key) ?? { calls: 0, ms: 0 };
      s.calls++;
      s.ms += clock() - t0;
      stats.set(key, s);
      return out;
    } });
  }
  const restore = () => {
    for (const cfg of configs) {
      tf.unregisterKernel(cfg.kernelName, backend);
      tf.registerKernel(cfg);
    }
  };
  return { stats, restore };
}

/** examples/own-model/build.mjs's MobileNet-style model (width 32): conv → BN → ReLU stem, a
 * depthwise-separable block added back onto it, global average pooling, dense softmax; batch 128. */
function mobileNetStyle(width = 32) {
  const input = tf.input({ shape: [28, 28, 1] });
  const bn = () => tf.layers.batchNormalization({ momentum: 0.9 });
  const stem = tf.layers.conv2d({ filters: width, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(input);
  const a = tf.layers.reLU().apply(bn().apply(stem));
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }).apply(a);
  const b = tf.layers.reLU().apply(bn().apply(dw));
  const c = bn().apply(tf.layers.conv2d({ filters: width, kernelSize: 1, useBias: false }).apply(b));
  const merged = tf.layers.reLU().apply(tf.layers.add().apply([a, c]));
  const output = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(tf.layers.globalAveragePooling2d({}).apply(merged));
  return tf.model({ inputs: input, outputs: output });
}
BENCH_MODELS.mobilenet = { inputShape: [28, 28, 1], classes: 10, batch: 128, make: () => mobileNetStyle(32) };

/**
 * One condense training step of benchmark model `name` on the current backend (gradients, the
 * Adam update, reading the loss), on a fixed seeded batch: MNIST-like values in [0, 1] with about
 * 80% zeros, or token ids for text models (timings do not depend on the values).
 */
export function trainingStep(name) {
  const { make, inputShape, vocab, classes, batch } = BENCH_MODELS[name];
  const model = make();
  const optimizer = makeOptimizer({ name: 'adam', learningRate: 1e-3 });
  const r = rng(1);
  const size = batch * inputShape.reduce((a, b) => a * b, 1);
  const x = vocab ? Float32Array.from({ length: size }, () => Math.floor(r() * vocab)) : Float32Array.from({ length: size }, () => (r() < 0.8 ? 0 : r()));
  const labels = Array.from({ length: batch }, () => Math.floor(r() * classes));
  // What condense's training loop runs (src/model/fit.ts): engine-free where it can, else minimize.
  const train = trainingStepFor({ model, optimizer, outputs: describeOutputs(model) });
  const labelArray = Int32Array.from(labels);
  const step = async () => {
    const xs = tf.tensor(x, [batch, ...inputShape]);
    const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
    await train.run(xs, ys, labelArray);
    tf.dispose([xs, ys]);
  };
  return { step, path: train.path, reason: train.reason, dispose: () => { optimizer.dispose(); model.dispose(); } };
}
