#!/usr/bin/env node
// Benchmarks the native backend against wasm and cpu (one run, side by side):
//   - one epoch of 4096 examples of the mlp, lenet5 and embedding models of bench/models.mjs
//     (Adam, batch 128); where a backend runs fewer examples, the time is extrapolated and labelled
//   - matmul GFLOP/s at TF.js level (tf.matMul + dataSync) and, for native, the direct BLAS call
// and profiles the kernels of an epoch of each (top kernels by time).
// Data is random (seeded): timings do not depend on the values.
//
// Usage: npm run build && node bench/native.mjs [--quick] [--backends native,wasm,cpu] [--no-profile]
// Writes bench/results/native.json and bench/profiles/{native,cpu}-{mlp,lenet,embedding}.json + summary.md.
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadBackend } from '../dist/backend/select.js';
import { loadAddon } from '../dist/backend/native/index.js';
import { makeOptimizer } from '../dist/model/fit.js';
import { BENCH_MODELS, rng, timeKernels } from './models.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const backends = (args.find((a) => a.startsWith('--backends='))?.split('=')[1] ?? 'native,wasm,cpu').split(',');
const doProfile = !args.includes('--no-profile');
const EPOCH = 4096;
const BATCH = 128;
// examples actually run per backend (the rest is extrapolated, and labelled so)
const MLP_N = { native: 4096, wasm: 4096, cpu: quick ? 512 : 1024 };
const LENET_N = { native: quick ? 1024 : 4096, wasm: quick ? 256 : 512, cpu: quick ? 128 : 256 };
// cpu: not run. Its stock UnsortedSegmentSum (the embedding's gradient) is O(vocabulary × tokens)
// in time and memory: one step of this model passed 10 GB. condense's backends replace it.
const EMBED_N = { native: quick ? 1024 : 4096, wasm: quick ? 1024 : 4096, cpu: 0 };

const randArray = (r, n, s = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);

function data(n, shape, seed, vocab, classes) {
  const r = rng(seed);
  const size = n * shape.reduce((a, b) => a * b, 1);
  // token ids as float32, the way condense's text datasets feed them (the embedding casts them)
  const x = vocab
    ? tf.tensor(Float32Array.from({ length: size }, () => Math.floor(r() * vocab)), [n, ...shape])
    : tf.tensor(randArray(r, size), [n, ...shape]);
  const y = tf.oneHot(tf.tensor(Array.from({ length: n }, () => Math.floor(r() * classes)), [n], 'int32'), classes);
  return { x, y };
}

/** Trains `n` examples (one epoch) after a one-batch warm-up; returns seconds and seconds/example. */
async function timeEpoch(key, n) {
  const { make, inputShape, vocab, classes } = BENCH_MODELS[key];
  const model = make();
  const r = rng(1);
  if (!vocab) model.setWeights(model.getWeights().map((w) => tf.tensor(randArray(r, w.size, 0.1), w.shape)));
  // the optimizer condense's train stages use (Adam, fused on native)
  model.compile({ optimizer: makeOptimizer({ name: 'adam', learningRate: 1e-3 }), loss: 'categoricalCrossentropy' });
  const { x, y } = data(n, inputShape, 2, vocab, classes);
  await model.fit(x.slice(0, BATCH), y.slice(0, BATCH), { epochs: 1, batchSize: BATCH, verbose: 0 });
  const t0 = performance.now();
  const h = await model.fit(x, y, { epochs: 1, batchSize: BATCH, verbose: 0 });
  const seconds = (performance.now() - t0) / 1000;
  const loss = h.history.loss[0];
  tf.dispose([x, y]);
  model.dispose();
  return { examples: n, seconds, msPerExample: (seconds * 1000) / n, loss,
    epoch4096Seconds: (seconds * EPOCH) / n, extrapolated: n !== EPOCH };
}

function gflops(n, seconds, reps) { return (2 * n ** 3 * reps) / seconds / 1e9; }

function tfjsMatmul(n) {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  tf.matMul(a, b).dataSync();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < (quick ? 500 : 1500) || reps < 2) {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
    reps++;
  }
  const s = (performance.now() - t0) / 1000;
  tf.dispose([a, b]);
  return gflops(n, s, reps);
}

function directSgemm(n) {
  const addon = loadAddon();
  const r = rng(3);
  const a = randArray(r, n * n);
  const b = randArray(r, n * n);
  const c = new Float32Array(n * n);
  addon.sgemm(0, 0, n, n, n, 1, a, n, b, n, 0, c, n);
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < (quick ? 500 : 1500) || reps < 2) {
    addon.sgemm(0, 0, n, n, n, 1, a, n, b, n, 0, c, n);
    reps++;
  }
  return gflops(n, (performance.now() - t0) / 1000, reps);
}

/** Wraps every kernel of `backend` with a timer while `fn` runs; returns kernels sorted by time. */
async function profileKernels(backend, fn) {
  const { stats, restore } = timeKernels(backend);
  const t0 = performance.now();
  try {
    await fn();
  } finally {
    restore();
  }
  const wallMs = performance.now() - t0;
  const kernelMs = [...stats.values()].reduce((a, s) => a + s.ms, 0);
  const kernels = [...stats.entries()].map(([name, s]) => ({ name, calls: s.calls, ms: +s.ms.toFixed(2),
    share: +(s.ms / wallMs).toFixed(4) })).sort((p, q) => q.ms - p.ms);
  return { wallMs: +wallMs.toFixed(1), kernelMs: +kernelMs.toFixed(1),
    outsideKernelsMs: +(wallMs - kernelMs).toFixed(1), kernels };
}

const round = (x, d = 3) => (typeof x === 'number' ? +x.toFixed(d) : x);
const results = {
  date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length,
  loadAverageAtStart: os.loadavg().map((x) => +x.toFixed(2)),
  note: 'one run; other jobs may share the machine (see load averages), so treat ratios as indicative',
  tfjs: tf.version.tfjs, epochExamples: EPOCH, batchSize: BATCH, quick, data: 'random (seeded); timings do not depend on values',
  backends: {},
};
const profiles = {};

for (const name of backends) {
  const entry = {};
  results.backends[name] = entry;
  try {
    const info = await loadBackend(name);
    entry.version = info.version;
  } catch (err) {
    entry.error = `failed to load: ${err.message}`;
    console.log(`${name}: ${entry.error}`);
    continue;
  }
  for (const [key, n] of [['mlp', MLP_N[name]], ['lenet5', LENET_N[name]], ['embedding', EMBED_N[name]]]) {
    if (n === 0) {
      entry[key] = { skipped: 'the cpu backend\'s UnsortedSegmentSum is O(vocabulary × tokens): one step passed 10 GB' };
      console.log(`${name} ${key}: skipped (${entry[key].skipped})`);
      continue;
    }
    try {
      const r = await timeEpoch(key, n);
      entry[key] = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]));
      console.log(`${name} ${key}: ${r.examples} examples in ${r.seconds.toFixed(2)} s -> ${r.msPerExample.toFixed(3)} ms/example, ` +
        `4096-example epoch ${r.epoch4096Seconds.toFixed(2)} s${r.extrapolated ? ' (extrapolated)' : ''}`);
    } catch (err) {
      entry[key] = { error: err.message.split('\n')[0] };
      console.log(`${name} ${key}: FAILED ${entry[key].error}`);
    }
  }
  entry.matmulGflops = {};
  for (const n of name === 'cpu' ? [256, 512] : [256, 512, 1024]) {
    entry.matmulGflops[`tfjs_${n}`] = round(tfjsMatmul(n), 2);
    if (name === 'native') entry.matmulGflops[`direct_${n}`] = round(directSgemm(n), 2);
  }
  console.log(`${name} matmul GFLOP/s: ${JSON.stringify(entry.matmulGflops)}`);
  if (doProfile && (name === 'native' || name === 'cpu')) {
    const small = name === 'cpu' ? 256 : 1024;
    profiles[`${name}-mlp`] = { examples: small, ...(await profileKernels(name, () => timeEpoch('mlp', small))) };
    profiles[`${name}-lenet`] = { examples: small / (name === 'cpu' ? 1 : 2), ...(await profileKernels(name, () => timeEpoch('lenet5', small / (name === 'cpu' ? 1 : 2)))) };
    if (EMBED_N[name] > 0) profiles[`${name}-embedding`] = { examples: small, ...(await profileKernels(name, () => timeEpoch('embedding', small))) };
  }
}

results.loadAverageAtEnd = os.loadavg().map((x) => +x.toFixed(2));
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'native.json'), JSON.stringify(results, null, 2) + '\n');
if (doProfile && Object.keys(profiles).length) {
  mkdirSync(join(here, 'profiles'), { recursive: true });
  const md = ['# Kernel profiles (one epoch each, incl. a one-batch warm-up)', '',
    `Generated by \`node bench/native.mjs\` on ${results.date} (${results.cpu}, ${results.cores} cores, ` +
      `load average at start ${results.loadAverageAtStart.join(' ')}: the machine may be shared).`,
    'Times are wall-clock ms inside each kernel function; "outside kernels" is TF.js/layers overhead.', ''];
  for (const [key, p] of Object.entries(profiles)) {
    writeFileSync(join(here, 'profiles', `${key}.json`), JSON.stringify(p, null, 2) + '\n');
    md.push(`## ${key} (${p.examples} examples): wall ${p.wallMs} ms, in kernels ${p.kernelMs} ms, outside kernels ${p.outsideKernelsMs} ms`, '',
      '| kernel | calls | ms | share of wall |', '|---|---:|---:|---:|',
      ...p.kernels.slice(0, 15).map((k) => `| ${k.name} | ${k.calls} | ${k.ms} | ${(k.share * 100).toFixed(1)}% |`), '');
  }
  writeFileSync(join(here, 'profiles', 'summary.md'), md.join('\n'));
}
console.log(`wrote ${join(here, 'results', 'native.json')}`);
