#!/usr/bin/env node
// How far can native get beyond wasm on a training step? Measures, in one run, for the mlp (the
// quickstart's), lenet5 and bert (the bert-distill teacher) models of bench/models.mjs:
//   - the training step (gradients + Adam update, as condense's fit loop runs it) on native and wasm
//   - for the MLP, the floor: the step's eight matrix products alone, called directly on OpenBLAS
//     with no TF.js around them (one thread, as the native backend runs it)
// and reports wasm step / native step (reached) and wasm step / BLAS floor (the ceiling: the ratio
// native would reach if everything but the matrix products took no time at all).
// Each figure is the median of --repeats blocks (default 5) of --steps steps (default 20).
//
// Usage: npm run build && node bench/step-ceiling.mjs [--repeats N] [--steps N]
// Writes bench/results/step-ceiling.json.
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBackend } from '../dist/backend/select.js';
import { loadAddon } from '../dist/backend/native/index.js';
import { rng, trainingStep } from './models.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const value = (flag, fallback) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : fallback);
const REPEATS = value('--repeats', 5);
const STEPS = value('--steps', 20);
const BATCH = 128;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 2) => +x.toFixed(d);

/** Median ms per training step (gradients + optimizer update + reading the loss) on `backend`. */
async function stepMs(backend, name, steps) {
  await loadBackend(backend);
  const { step, dispose } = trainingStep(name);
  await step(); // warm-up
  const blocks = [];
  for (let k = 0; k < REPEATS; k++) {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) await step();
    blocks.push((performance.now() - t0) / steps);
  }
  dispose();
  return median(blocks);
}

/**
 * Median ms of the MLP step's eight matrix products, called directly on the addon's BLAS with
 * `threads` threads; also returns the products' outputs (to compare thread counts).
 */
function mlpBlasFloorMs(steps, threads) {
  const addon = loadAddon();
  const inEffect = addon.setBlasThreads(threads);
  const r = rng(2);
  const arr = (n) => Float32Array.from({ length: n }, () => r() - 0.5);
  const B = BATCH;
  const [x, w1, w2, w3] = [arr(B * 784), arr(784 * 300), arr(300 * 100), arr(100 * 10)];
  const d3 = arr(B * 10); // the loss gradient, so that every product below has non-zero operands
  const [h1, h2, out, d2, d1, g1, g2, g3] = [B * 300, B * 100, B * 10, B * 100, B * 300, 784 * 300, 300 * 100, 100 * 10].map((n) => new Float32Array(n));
  // (transA, transB, M, N, K, A, lda, B, ldb, C, ldc) of C = op(A) op(B)
  const products = [
    [0, 0, B, 300, 784, x, 784, w1, 300, h1, 300], // forward
    [0, 0, B, 100, 300, h1, 300, w2, 100, h2, 100],
    [0, 0, B, 10, 100, h2, 100, w3, 10, out, 10],
    [1, 0, 100, 10, B, h2, 100, d3, 10, g3, 10], // dW3 = h2ᵀ d3
    [0, 1, B, 100, 10, d3, 10, w3, 10, d2, 100], // dh2 = d3 W3ᵀ
    [1, 0, 300, 100, B, h1, 300, d2, 100, g2, 100], // dW2 = h1ᵀ d2
    [0, 1, B, 300, 100, d2, 100, w2, 100, d1, 300], // dh1 = d2 W2ᵀ
    [1, 0, 784, 300, B, x, 784, d1, 300, g1, 300], // dW1 = xᵀ d1 (no dx: x is the input)
  ];
  const all = () => {
    for (const [tA, tB, M, N, K, A, lda, Bm, ldb, C, ldc] of products) addon.sgemm(tA, tB, M, N, K, 1, A, lda, Bm, ldb, 0, C, ldc);
  };
  all();
  const blocks = [];
  for (let k = 0; k < REPEATS; k++) {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) all();
    blocks.push((performance.now() - t0) / steps);
  }
  addon.setBlasThreads(1);
  const flops = products.reduce((n, p) => n + 2 * p[2] * p[3] * p[4], 0);
  return { ms: median(blocks), mflop: flops / 1e6, threads: inEffect, outputs: products.map((p) => Float32Array.from(p[9])) };
}

const results = {
  date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length,
  loadAverageAtStart: os.loadavg().map((x) => round(x)), tfjs: tf.version.tfjs, batchSize: BATCH,
  method: `median of ${REPEATS} blocks of ${STEPS} steps (LeNet-5 on wasm: blocks of ${Math.max(2, STEPS / 4)}; bert: ${Math.max(2, STEPS / 10)})`,
  models: {},
};
for (const name of ['mlp', 'bert', 'lenet5']) {
  const steps = name === 'bert' ? Math.max(2, STEPS / 10) : STEPS;
  const native = await stepMs('native', name, steps);
  const wasm = await stepMs('wasm', name, name === 'lenet5' ? Math.max(2, STEPS / 4) : steps);
  const entry = { nativeStepMs: round(native), wasmStepMs: round(wasm), reached: round(wasm / native) };
  if (name === 'mlp') {
    const floor = mlpBlasFloorMs(STEPS, 1);
    Object.assign(entry, { matmulMflopPerStep: round(floor.mflop, 1), blasFloorMs: round(floor.ms), blasGflops: round(floor.mflop / floor.ms, 1), ceiling: round(wasm / floor.ms) });
    // Both cores: faster, but are the results the same as on one thread?
    const two = mlpBlasFloorMs(STEPS, 2);
    if (two.threads === 2) {
      const same = floor.outputs.every((o, i) => Buffer.from(o.buffer).equals(Buffer.from(two.outputs[i].buffer)));
      Object.assign(entry, { blasFloorMs2Threads: round(two.ms), ceiling2Threads: round(wasm / two.ms), twoThreadResultsBitIdentical: same });
    }
  }
  results.models[name] = entry;
  console.log(`${name}: ${JSON.stringify(entry)}`);
}
results.loadAverageAtEnd = os.loadavg().map((x) => round(x));
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'step-ceiling.json'), `${JSON.stringify(results, null, 1)}\n`);
console.log(`wrote ${join(here, 'results', 'step-ceiling.json')}`);
