#!/usr/bin/env node
// The portable GEMM (what native builds when no BLAS is installed) against OpenBLAS's sgemm, in
// one process: the addon compiles the portable GEMM into every build (`sgemmPortable`), so when
// this build links OpenBLAS both run side by side on the same arrays. Square 256/512/1024 (and
// the transposed cases at 512) for every micro-kernel this CPU runs (avx512, avx2, generic), and
// the skinny products of the LeNet-5 and MLP steps for the kernel picked here;
// timings alternate between the two GEMMs, --trials trials each, medians; one thread. Figures are
// per CPU second of this process (process.cpuUsage), so time the scheduler gives other jobs on a
// shared machine does not count; wall-clock figures are recorded next to them.
//
// Then the thread pool: the backend's GEMM (sgemm: OpenBLAS or the portable GEMM, cut into
// panels by gemm_parallel.c) and the portable one on 1 and on 2 threads, per wall second
// (a second thread shows only there), alternating, medians: where a second thread starts to pay
// (native/kernels.h CN_PARALLEL_GRAIN) and what it gives on the shapes of the steps.
//
// Usage: node native/build.mjs && node bench/gemm.mjs [--trials 7] [--seconds 0.3]
//          [--sections kernels,threads]
// Writes bench/results/gemm.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAddon } from '../dist/backend/native/index.js';
import { rng } from './models.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const value = (flag, fallback) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : fallback);
const SECTIONS = (args.includes('--sections') ? args[args.indexOf('--sections') + 1] : 'kernels,threads').split(',');
const TRIALS = value('--trials', 7);
const SECONDS = value('--seconds', 0.3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 2) => +x.toFixed(d);

const addon = loadAddon();
const defaultThreads = addon.threads();
const build = addon.buildInfo();
const hasBlas = build.blas.startsWith('openblas');
const kernels = ['avx512', 'avx2', 'generic'].filter((k) => { try { return addon.gemmKernel(k) === k; } catch { return false; } });
const best = addon.gemmKernel('auto');

const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** { cpu, wall } GFLOP/s of one trial: as many calls of `gemm` as fit in SECONDS (at least 2). */
function trial(gemm, [tA, tB, M, N, K], a, b, c) {
  let reps = 0;
  const t0 = performance.now();
  const c0 = cpuSeconds();
  while (performance.now() - t0 < SECONDS * 1000 || reps < 2) {
    gemm(tA, tB, M, N, K, 1, a, tA ? M : K, b, tB ? K : N, 0, c, N);
    reps++;
  }
  const flop = 2 * M * N * K * reps;
  return { cpu: flop / (cpuSeconds() - c0) / 1e9, wall: flop / ((performance.now() - t0) / 1000) / 1e9 };
}

// [transA, transB, M, N, K, label]: squares, then (best kernel only) the skinny products of the
// LeNet-5 and MLP steps (conv by im2col: outC columns; dense: batch 128)
const squares = [[0, 0, 256], [0, 0, 512], [0, 0, 1024], [1, 0, 512], [0, 1, 512]].map(([a, b, n]) => [a, b, n, n, n, `${a ? 'T' : 'N'}${b ? 'T' : 'N'} ${n}`]);
// (per chunk of images as native/conv.c cuts them: 13 images for conv1, 17 for conv2)
const skinny = [[1, 0, 10192, 6, 25, 'lenet conv1 forward'], [0, 0, 25, 6, 10192, 'lenet conv1 filter grad'],
  [0, 0, 1700, 16, 150, 'lenet conv2 forward'], [0, 1, 1700, 150, 16, 'lenet conv2 input grad'], [1, 0, 150, 16, 1700, 'lenet conv2 filter grad'],
  [0, 0, 128, 300, 784, 'mlp dense1 forward'], [1, 0, 784, 300, 128, 'mlp dense1 kernel grad'], [0, 0, 128, 10, 100, 'mlp dense3 forward'], [1, 0, 100, 10, 128, 'mlp dense3 kernel grad']];
/** Wall GFLOP/s of `gemm` on 1 and 2 threads for squares around the threshold and the steps' shapes. */
async function threadScaling() {
  const sizes = [[0, 0, 48], [0, 0, 64], [0, 0, 96], [0, 0, 128], [0, 0, 192], [0, 0, 256], [0, 0, 512]]
    .map(([a, b, n]) => [a, b, n, n, n, `NN ${n}`]);
  results.threads = { method: `${TRIALS} alternating trials of ${SECONDS} s on 1 and 2 threads (addon.threads), medians; GFLOP/s per wall second`, defaultThreads, gflops: {} };
  for (const [name, gemm] of [[hasBlas ? 'openblas' : 'portable', addon.sgemm], ...(hasBlas ? [['portable', addon.sgemmPortable]] : [])]) {
    for (const shape of [...sizes, ...skinny]) {
      const [, , M, N, K, label] = shape;
      const a = Float32Array.from({ length: M * K }, () => r() - 0.5);
      const b = Float32Array.from({ length: K * N }, () => r() - 0.5);
      const c = new Float32Array(M * N);
      const one = [];
      const two = [];
      for (let t = 0; t < TRIALS; t++) {
        addon.threads(1);
        one.push(trial(gemm, shape, a, b, c).wall);
        addon.threads(2);
        two.push(trial(gemm, shape, a, b, c).wall);
      }
      const key = `${name} ${label}${M === N && N === K ? '' : ` (${M}x${N}x${K})`}`;
      const entry = { parts: addon.gemmParts(M, N, K), oneThread: round(median(one), 1), twoThreads: round(median(two), 1), speedup: round(median(two) / median(one)) };
      results.threads.gflops[key] = entry;
      console.log(`${key}: ${entry.parts} panel(s); 1 thread ${entry.oneThread} GFLOP/s, 2 threads ${entry.twoThreads}, speedup ${entry.speedup}`);
    }
  }
}

const results = {
  command: `node bench/gemm.mjs ${args.join(' ')}`.trim(), date: new Date().toISOString(), node: process.version,
  cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadAverageAtStart: os.loadavg().map((x) => round(x)),
  build, bestKernel: best, method: `${TRIALS} alternating trials of ${SECONDS} s per GEMM and shape, medians, one thread; GFLOP/s per CPU second (wall: per wall second)`,
  gflops: {},
};
const r = rng(7);
addon.threads(1);
for (const kernel of SECTIONS.includes('kernels') ? kernels : []) {
  addon.gemmKernel(kernel);
  for (const shape of kernel === best ? [...squares, ...skinny] : squares) {
    const [, , M, N, K, label] = shape;
    const a = Float32Array.from({ length: M * K }, () => r() - 0.5);
    const b = Float32Array.from({ length: K * N }, () => r() - 0.5);
    const c = new Float32Array(M * N);
    const p = [];
    const o = [];
    for (let t = 0; t < TRIALS; t++) {
      p.push(trial(addon.sgemmPortable, shape, a, b, c));
      if (hasBlas) o.push(trial(addon.sgemm, shape, a, b, c));
    }
    const key = `${kernel} ${label}${M === N && N === K ? '' : ` (${M}x${N}x${K})`}`;
    const m = (xs, k) => median(xs.map((x) => x[k]));
    const entry = { portable: round(m(p, 'cpu'), 1), ...(hasBlas ? { openblas: round(m(o, 'cpu'), 1), ratio: round(m(p, 'cpu') / m(o, 'cpu')) } : {}),
      wall: { portable: round(m(p, 'wall'), 1), ...(hasBlas ? { openblas: round(m(o, 'wall'), 1), ratio: round(m(p, 'wall') / m(o, 'wall')) } : {}) } };
    results.gflops[key] = entry;
    console.log(`${key}: portable ${entry.portable} GFLOP/s per CPU second${hasBlas ? `, OpenBLAS ${entry.openblas}, portable/OpenBLAS ${entry.ratio}` : ''}`);
  }
}
addon.gemmKernel('auto');
if (SECTIONS.includes('threads')) await threadScaling();
addon.threads(defaultThreads);
if (!hasBlas) console.log('(this build links no OpenBLAS: portable only; build with libopenblas-dev installed to compare)');
results.loadAverageAtEnd = os.loadavg().map((x) => round(x));
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'gemm.json'), `${JSON.stringify(results, null, 1)}\n`);
console.log(`wrote ${join(here, 'results', 'gemm.json')}`);
