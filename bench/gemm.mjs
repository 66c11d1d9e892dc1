#!/usr/bin/env node
// The portable GEMM (what native builds when no BLAS is installed) against OpenBLAS's sgemm, in
// one process: the addon compiles the portable GEMM into every build (`sgemmPortable`), so when
// this build links OpenBLAS both run side by side on the same arrays. Square 256/512/1024 (and
// the transposed cases at 512) for every micro-kernel this CPU runs (avx512, avx2, generic);
// timings alternate between the two GEMMs, --trials trials each, medians; one thread.
//
// Usage: node native/build.mjs && node bench/gemm.mjs [--trials 7] [--seconds 0.3]
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
const TRIALS = value('--trials', 7);
const SECONDS = value('--seconds', 0.3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 2) => +x.toFixed(d);

const addon = loadAddon();
const build = addon.buildInfo();
const hasBlas = build.blas.startsWith('openblas');
const kernels = ['avx512', 'avx2', 'generic'].filter((k) => { try { return addon.gemmKernel(k) === k; } catch { return false; } });
const best = addon.gemmKernel('auto');

/** GFLOP/s of one trial: as many calls of `gemm` as fit in SECONDS (at least 2). */
function trial(gemm, [tA, tB, n], a, b, c) {
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000 || reps < 2) {
    gemm(tA, tB, n, n, n, 1, a, n, b, n, 0, c, n);
    reps++;
  }
  return (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
}

const cases = [[0, 0, 256], [0, 0, 512], [0, 0, 1024], [1, 0, 512], [0, 1, 512]];
const results = {
  command: `node bench/gemm.mjs ${args.join(' ')}`.trim(), date: new Date().toISOString(), node: process.version,
  cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadAverageAtStart: os.loadavg().map((x) => round(x)),
  build, bestKernel: best, method: `${TRIALS} alternating trials of ${SECONDS} s per GEMM and shape, medians, one thread`,
  gflops: {},
};
const r = rng(7);
for (const kernel of kernels) {
  addon.gemmKernel(kernel);
  for (const shape of cases) {
    const n = shape[2];
    const a = Float32Array.from({ length: n * n }, () => r() - 0.5);
    const b = Float32Array.from({ length: n * n }, () => r() - 0.5);
    const c = new Float32Array(n * n);
    const p = [];
    const o = [];
    for (let t = 0; t < TRIALS; t++) {
      p.push(trial(addon.sgemmPortable, shape, a, b, c));
      if (hasBlas) o.push(trial(addon.sgemm, shape, a, b, c));
    }
    const key = `${kernel} ${shape[0] ? 'T' : 'N'}${shape[1] ? 'T' : 'N'} ${n}`;
    const entry = { portable: round(median(p), 1), ...(hasBlas ? { openblas: round(median(o), 1), ratio: round(median(p) / median(o)) } : {}) };
    results.gflops[key] = entry;
    console.log(`${key}: portable ${entry.portable} GFLOP/s${hasBlas ? `, OpenBLAS ${entry.openblas}, portable/OpenBLAS ${entry.ratio}` : ''}`);
  }
}
addon.gemmKernel('auto');
if (!hasBlas) console.log('(this build links no OpenBLAS: portable only; build with libopenblas-dev installed to compare)');
results.loadAverageAtEnd = os.loadavg().map((x) => round(x));
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'gemm.json'), `${JSON.stringify(results, null, 1)}\n`);
console.log(`wrote ${join(here, 'results', 'gemm.json')}`);
