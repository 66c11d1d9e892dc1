#!/usr/bin/env node
// condense (native backend) against PyTorch on the same CPU, side by side in one run:
//   - per-step time (gradients + Adam update + reading the loss) of the mlp, lenet5, mobilenet and
//     bert models of bench/models.mjs, PyTorch single-threaded (torch.set_num_threads(1)) as
//     condense's native backend runs; blocks of the two alternate (--rounds rounds of --blocks
//     blocks each), so that load from other jobs hits both alike; figures are medians of all blocks
//   - the quickstart's training stages (baseline 5 + prune 3 + finetune 2 epochs on 8,000 digits):
//     condense's from `condense run` (report.json stage seconds), PyTorch's from the same schedule
//     in bench/pytorch_steps.py; alternated, --quickstart-runs each, medians
//   - when this build links OpenBLAS, the same quickstart run on a portable-GEMM build of native/
//     (built into a temp dir, as a machine without OpenBLAS gets it): --no-portable skips it
//   - --threads 1,2: condense's kernels on each of these thread counts (addon.threads; results
//     are bit-identical on any), PyTorch on 1 thread and, for a like-with-like column, on the
//     same count (torch.set_num_threads, and OMP/OPENBLAS/MKL_NUM_THREADS for the BLAS under it:
//     one python process per count); the first count gives the top-level figures
// ratio = condense / PyTorch (below 1: condense is faster), of wall time; cpuRatio is the same of
// each process's CPU time (process.cpuUsage / time.process_time), which time the scheduler gives
// other jobs on a shared machine does not inflate. PyTorch is a reference only: when no
// python3 imports torch (Debian: apt-get install python3-torch), this prints a line and exits 0.
//
// Usage: npm run build && node bench/pytorch.mjs [--rounds 3] [--blocks 3] [--steps 20]
//          [--quickstart-runs 3] [--models mlp,lenet5,mobilenet,bert] [--python /usr/bin/python3] [--no-portable]
//          [--threads 1,2]
// Writes bench/results/pytorch.json.
import * as tf from '@tensorflow/tfjs';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadBackend } from '../dist/backend/select.js';
import { loadAddon } from '../dist/backend/native/index.js';
import { BENCH_MODELS, trainingStep } from './models.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const value = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
const ROUNDS = Number(value('--rounds', 3));
const BLOCKS = Number(value('--blocks', 3));
const STEPS = Number(value('--steps', 20));
const QS_RUNS = Number(value('--quickstart-runs', 3));
const MODELS = value('--models', 'mlp,lenet5,mobilenet,bert').split(',').filter(Boolean);
const THREADS = value('--threads', '1').split(',').map(Number).filter((n) => n >= 1);
const TRAIN_STAGES = ['baseline', 'prune', 'finetune'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 2) => +x.toFixed(d);
/** Steps per block: bert's step is ~20× the MLP's. */
const stepsFor = (name) => (name === 'bert' ? Math.max(2, Math.round(STEPS / 8)) : name === 'mlp' ? STEPS : Math.max(2, Math.round(STEPS / 2)));

/** The first of the candidate interpreters that imports torch, or undefined. */
function findPython() {
  const candidates = [value('--python'), process.env.CONDENSE_BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
  return candidates.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore', timeout: 120_000 }).status === 0);
}

/**
 * A long-lived bench/pytorch_steps.py on `threads` threads: `ask(request)` resolves with its JSON
 * answer. The BLAS under torch (Debian's: OpenBLAS) starts its own thread pool unless told,
 * which torch.set_num_threads does not limit: measured, "1 thread" used ~2 CPU seconds per second.
 */
function startTorch(python, threads) {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const child = spawn(python, [join(here, 'pytorch_steps.py')], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.resolve(JSON.parse(l)));
  child.on('exit', (code) => { for (const w of waiting.splice(0)) w.reject(new Error(`pytorch_steps.py exited (${code})`)); });
  const ask = (req) => new Promise((resolve, reject) => {
    waiting.push({ resolve, reject });
    child.stdin.write(`${JSON.stringify(req)}\n`);
  });
  return { ask, close: () => child.stdin.end() };
}


const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** { blockMs, blockCpuMs }: wall and CPU ms per step of each block (as pytorch_steps.py returns). */
async function condenseBlocks(name, blocks, steps, threads) {
  loadAddon().threads(threads);
  const { step, dispose } = trainingStep(name);
  await step(); // warm-up
  const out = { blockMs: [], blockCpuMs: [] };
  for (let k = 0; k < blocks; k++) {
    const t0 = performance.now();
    const c0 = cpuMs();
    for (let s = 0; s < steps; s++) await step();
    out.blockMs.push((performance.now() - t0) / steps);
    out.blockCpuMs.push((cpuMs() - c0) / steps);
  }
  dispose();
  return out;
}

/** native/ built with the portable GEMM in a temp dir: { dir, addon, status }, or undefined on failure. */
function buildPortable() {
  const dir = mkdtempSync(join(os.tmpdir(), 'condense-portable-'));
  cpSync(join(root, 'native'), join(dir, 'native'), { recursive: true });
  cpSync(join(root, 'binding.gyp'), join(dir, 'binding.gyp'));
  const r = spawnSync(process.execPath, [join(dir, 'native', 'build.mjs')], { encoding: 'utf8', env: { ...process.env, CONDENSE_NATIVE_BLAS: 'portable' } });
  if (r.status !== 0 || !/native backend built/.test(r.stdout)) return undefined;
  return { dir, env: { CONDENSE_NATIVE_ADDON: join(dir, 'build', 'Release', 'condense_native.node'), CONDENSE_NATIVE_STATUS: join(dir, 'build', 'native-status.json') } };
}

/** Seconds of the quickstart's training stages in one `condense run` on native (no browser evaluation). */
function condenseQuickstart(env = {}, threads = THREADS[0]) {
  const dir = mkdtempSync(join(os.tmpdir(), 'condense-pytorch-bench-'));
  try {
    const recipe = readFileSync(join(root, 'recipes', 'quickstart.yaml'), 'utf8').replace(/^\s*browser:.*$/m, '');
    writeFileSync(join(dir, 'quickstart.yaml'), recipe);
    const r = spawnSync(process.execPath, [join(root, 'bin/condense.mjs'), 'run', join(dir, 'quickstart.yaml'), '--out', join(dir, 'run'),
      '--set', 'backend=native'], { encoding: 'utf8', env: { ...process.env, CONDENSE_CACHE: 'off', CONDENSE_THREADS: String(threads), ...env } });
    if (r.status !== 0) throw new Error(`condense run failed:\n${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(readFileSync(join(dir, 'run', 'report.json'), 'utf8'));
    const stages = report.stages.filter((s) => TRAIN_STAGES.includes(s.name));
    return { seconds: stages.reduce((n, s) => n + s.seconds, 0), accuracy: report.final.metrics.accuracy };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const python = findPython();
if (!python) {
  console.log('bench/pytorch.mjs: skipped: no python3 imports torch (Debian/Ubuntu: apt-get install python3-torch)');
  process.exit(0);
}
const torchOn = new Map([...new Set(THREADS.concat(1))].map((t) => [t, startTorch(python, t)])); // one process per count: a duplicate would outlive close() and keep node running
const torch = { ask: (req) => torchOn.get(req.threads ?? 1).ask(req) };
const info = await loadBackend('native');
const results = {
  command: `node bench/pytorch.mjs ${args.join(' ')}`.trim(),
  date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length,
  loadAverageAtStart: os.loadavg().map((x) => round(x)), tfjs: tf.version.tfjs,
  condense: { backend: 'native', version: info.version, build: loadAddon().buildInfo() },
  pytorch: { python, ...(await torch.ask({ op: 'info' })) },
  method: `${ROUNDS} rounds of ${BLOCKS} blocks per side, alternating; blocks of ${STEPS} steps (lenet5/mobilenet ${stepsFor('lenet5')}, bert ${stepsFor('bert')}); medians of all blocks; ` +
    `condense on ${THREADS[0]} thread(s) against PyTorch on 1${THREADS.length > 1 ? `; threadsN: both on N threads` : ''}; ratio: wall time, cpuRatio: CPU time`,
  steps: {},
};
console.log(`condense native (${results.condense.build.blas}) vs PyTorch ${results.pytorch.torch} (${python}, 1 thread)`);
/** Alternating condense (`threads`) and PyTorch (`torchThreads`) blocks of one model: the medians and ratios. */
async function compareSteps(name, threads, torchThreads) {
  const c = { blockMs: [], blockCpuMs: [] };
  const p = { blockMs: [], blockCpuMs: [] };
  for (let k = 0; k < ROUNDS; k++) {
    const cc = await condenseBlocks(name, BLOCKS, stepsFor(name), threads);
    const pp = await torch.ask({ op: 'step', model: name, blocks: BLOCKS, steps: stepsFor(name), threads: torchThreads });
    for (const key of ['blockMs', 'blockCpuMs']) { c[key].push(...cc[key]); p[key].push(...pp[key]); }
  }
  const [cw, pw, cc, pc] = [median(c.blockMs), median(p.blockMs), median(c.blockCpuMs), median(p.blockCpuMs)];
  return { condenseMs: round(cw), pytorchMs: round(pw), ratio: round(cw / pw),
    condenseCpuMs: round(cc), pytorchCpuMs: round(pc), cpuRatio: round(cc / pc),
    condenseBlocksMs: c.blockMs.map((x) => round(x)), pytorchBlocksMs: p.blockMs.map((x) => round(x)) };
}

for (const name of MODELS) {
  const [first, ...more] = THREADS;
  const entry = { batch: BENCH_MODELS[name].batch, threads: first, ...(await compareSteps(name, first, 1)) };
  results.steps[name] = entry;
  console.log(`${name} step: condense ${entry.condenseMs} ms (${first} thread(s)), PyTorch ${entry.pytorchMs} ms (1 thread), ratio ${entry.ratio}; ` +
    `CPU time ${entry.condenseCpuMs} / ${entry.pytorchCpuMs} ms, ratio ${entry.cpuRatio}`);
  for (const t of more) {
    const same = await compareSteps(name, t, t);
    entry[`threads${t}`] = { ...same, ratioToPytorch1Thread: round(same.condenseMs / entry.pytorchMs) };
    console.log(`  on ${t} threads: condense ${same.condenseMs} ms, PyTorch (${t} threads) ${same.pytorchMs} ms, ratio ${same.ratio}; ` +
      `to PyTorch on 1 thread ${entry[`threads${t}`].ratioToPytorch1Thread}`);
  }
}
if (QS_RUNS > 0) {
  const digits = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const portable = !args.includes('--no-portable') && results.condense.build.blas !== 'portable' ? buildPortable() : undefined;
  const c = [];
  const p = [];
  const q = [];
  const more = THREADS.slice(1).map((t) => ({ t, c: [], p: [] }));
  for (let k = 0; k < QS_RUNS; k++) {
    c.push(condenseQuickstart());
    p.push(await torch.ask({ op: 'quickstart', digits }));
    if (portable) q.push(condenseQuickstart(portable.env));  // on THREADS[0]
    for (const m of more) {
      m.c.push(condenseQuickstart({}, m.t));
      m.p.push(await torch.ask({ op: 'quickstart', digits, threads: m.t }));
    }
  }
  const [cs, ps] = [median(c.map((r) => r.seconds)), median(p.map((r) => r.seconds))];
  const runs = (xs) => xs.map((r) => ({ seconds: round(r.seconds), finalAccuracy: r.accuracy }));
  results.quickstartTraining = { stages: TRAIN_STAGES, epochs: 10, examples: 8000, condenseSeconds: round(cs), pytorchSeconds: round(ps), ratio: round(cs / ps),
    condenseRuns: runs(c), pytorchRuns: p.map((r) => ({ seconds: round(r.seconds), accuracy: r.accuracy })) };
  console.log(`quickstart training stages: condense ${round(cs)} s (${THREADS[0]} thread(s)), PyTorch ${round(ps)} s (1 thread), ratio ${round(cs / ps)}`);
  for (const m of more) {
    const [mc, mp] = [median(m.c.map((r) => r.seconds)), median(m.p.map((r) => r.seconds))];
    results.quickstartTraining[`threads${m.t}`] = { condenseSeconds: round(mc), pytorchSeconds: round(mp), ratio: round(mc / mp), ratioToPytorch1Thread: round(mc / ps),
      condenseRuns: runs(m.c), pytorchRuns: m.p.map((r) => ({ seconds: round(r.seconds), accuracy: r.accuracy })) };
    console.log(`  on ${m.t} threads: condense ${round(mc)} s, PyTorch (${m.t} threads) ${round(mp)} s, ratio ${round(mc / mp)}; to PyTorch on 1 thread ${round(mc / ps)}`);
  }
  if (portable) {
    const qs = median(q.map((r) => r.seconds));
    const kernel = spawnSync(process.execPath, ['-p', `require(${JSON.stringify(portable.env.CONDENSE_NATIVE_ADDON)}).buildInfo().blasCore`], { encoding: 'utf8' }).stdout.trim();
    Object.assign(results.quickstartTraining, { portableGemm: { kernel, seconds: round(qs), ratioToPytorch: round(qs / ps), ratioToOpenblasBuild: round(qs / cs), runs: runs(q) } });
    console.log(`  on a portable-GEMM build (${kernel}): ${round(qs)} s, ratio to PyTorch ${round(qs / ps)}, to the OpenBLAS build ${round(qs / cs)}`);
    rmSync(portable.dir, { recursive: true, force: true });
  }
}
for (const t of torchOn.values()) t.close();
results.loadAverageAtEnd = os.loadavg().map((x) => round(x));
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'pytorch.json'), `${JSON.stringify(results, null, 1)}\n`);
console.log(`wrote ${join(here, 'results', 'pytorch.json')}`);
