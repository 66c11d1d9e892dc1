// Training-step benchmark: wasm (with condense's extra kernels) vs the plain-JS cpu backend.
// Build first (npx tsc -p tsconfig.build.json), then: node bench/wasm.mjs
// Writes bench/results/wasm.json. Env: BENCH_WASM_RUNS (default 10), BENCH_CPU_RUNS (default 3).
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBackend } from '../dist/backend/select.js';
import { measureMatmulGflops } from '../dist/backend/doctor.js';

const here = dirname(fileURLToPath(import.meta.url));
const BATCH = 64;
const RUNS = { wasm: Number(process.env.BENCH_WASM_RUNS ?? 10), cpu: Number(process.env.BENCH_CPU_RUNS ?? 3) };
const EMBED = { vocab: 500, length: 32, dim: 32, batch: 32 };

function mlp() {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [784], units: 300, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 100, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return m;
}

function lenet5() {
  const m = tf.sequential();
  m.add(tf.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }));
  m.add(tf.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 120, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 84, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return m;
}

function embedding() {
  const m = tf.sequential();
  m.add(tf.layers.embedding({ inputDim: EMBED.vocab, outputDim: EMBED.dim, inputLength: EMBED.length }));
  m.add(tf.layers.layerNormalization({}));
  m.add(tf.layers.globalAveragePooling1d({}));
  m.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
  return m;
}

const MODELS = {
  mlp: { build: mlp, input: () => tf.randomUniform([BATCH, 784]), classes: 10, batch: BATCH },
  lenet5: { build: lenet5, input: () => tf.randomUniform([BATCH, 784]), classes: 10, batch: BATCH },
  embedding: {
    build: embedding,
    input: () => tf.randomUniform([EMBED.batch, EMBED.length], 0, EMBED.vocab, 'int32'),
    classes: 2,
    batch: EMBED.batch,
  },
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Median wall time (ms) of one Adam training step (forward, backward, update, loss read back). */
function stepTime(spec, runs) {
  const model = spec.build();
  const x = spec.input();
  const y = tf.oneHot(tf.randomUniform([spec.batch], 0, spec.classes, 'int32'), spec.classes);
  const opt = tf.train.adam(1e-3);
  const step = () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x)), true);
    loss.dataSync();
    loss.dispose();
  };
  step(); // warm-up: weight creation, kernel setup, JIT
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  tf.dispose([x, y]);
  model.dispose();
  opt.dispose();
  return { medianMs: median(times), runsMs: times.map((t) => Math.round(t * 100) / 100) };
}

function numpyGflops() {
  const code = [
    'import numpy as np, time, json',
    'out = {"numpy": np.__version__}',
    'for n in (256, 1024):',
    '    a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)',
    '    a @ b',
    '    reps = 0; t0 = time.perf_counter()',
    '    while time.perf_counter() - t0 < 0.5:',
    '        a @ b; reps += 1',
    '    out[f"sgemm{n}Gflops"] = 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9',
    'print(json.dumps(out))',
  ].join('\n');
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  try {
    return JSON.parse(execFileSync('python3', ['-c', code], { env, encoding: 'utf8', timeout: 60_000 }));
  } catch (err) {
    return { unavailable: String(err.message ?? err).split('\n')[0] };
  }
}

const results = {
  date: new Date().toISOString(),
  node: process.versions.node,
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  loadAverage: os.loadavg(),
  config: { batch: BATCH, embedding: EMBED, runs: RUNS },
  backends: {},
};
for (const name of ['wasm', 'cpu']) {
  const info = await loadBackend(name);
  const entry = { version: info.version, matmul256Gflops: await measureMatmulGflops(256, 0.5), stepMs: {} };
  for (const [model, spec] of Object.entries(MODELS)) {
    entry.stepMs[model] = stepTime(spec, RUNS[name]);
    console.log(`${name.padEnd(5)} ${model.padEnd(10)} ${entry.stepMs[model].medianMs.toFixed(1).padStart(9)} ms/step`);
  }
  console.log(`${name.padEnd(5)} matmul 256 ${entry.matmul256Gflops.toFixed(2).padStart(9)} GFLOP/s`);
  results.backends[name] = entry;
}
results.speedup = Object.fromEntries(
  Object.keys(MODELS).map((m) => [m, results.backends.cpu.stepMs[m].medianMs / results.backends.wasm.stepMs[m].medianMs]),
);
results.goals = { lenet5: 5, mlp: 5, embedding: 3 };
results.numpySingleThread = numpyGflops();
for (const [m, s] of Object.entries(results.speedup)) console.log(`speedup ${m.padEnd(10)} ${s.toFixed(1)}x (goal ${results.goals[m]}x)`);
console.log('numpy 1 thread', JSON.stringify(results.numpySingleThread));
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'wasm.json'), JSON.stringify(results, null, 2) + '\n');
console.log('wrote bench/results/wasm.json');
