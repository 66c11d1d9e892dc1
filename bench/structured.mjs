// Issue 13's bar for structured pruning, measured in one run of this script:
// a functional residual CNN with BatchNormalization and DepthwiseConv2D (builtin mobilenet, input
// [28, 28, 1]) trained on 12,000 Fashion-MNIST images; then, from the very same trained weights
// (its export, as model.path), (a) 3 fine-tune epochs unpruned, (b) structured prune at sparsity
// 0.4 + the same 3 fine-tune epochs. Both exports are read with the stock tf.loadLayersModel and
// timed in this process, interleaved, at batch 1 and 32.
// Usage: node bench/structured.mjs [--backend auto] [--epochs 5] [--sparsity 0.4] [--reuse DIR]
// (--reuse: time the runs a previous invocation left in DIR instead of running them again).
// Writes bench/results/structured.json.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../dist/backend/select.js';

// Measure the work, not the stage cache all runs share (~/.cache/condense): every run computes its stages.
const NO_SHARED_CACHE = { ...process.env, CONDENSE_CACHE: 'off' };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const backend = arg('backend', 'auto');
const epochs = Number(arg('epochs', '5'));
const sparsity = Number(arg('sparsity', '0.4'));
const FASHION = '/usr/share/datasets/fashion-mnist';
const reuse = arg('reuse', undefined);
const work = reuse ?? mkdtempSync(join(tmpdir(), 'condense-bench-structured-'));

const data = [
  'data:', '  dataset: idx', `  images: ${FASHION}/train-images-idx3-ubyte.gz`, `  labels: ${FASHION}/train-labels-idx1-ubyte.gz`,
  `  testImages: ${FASHION}/t10k-images-idx3-ubyte.gz`, `  testLabels: ${FASHION}/t10k-labels-idx1-ubyte.gz`,
  '  testFraction: 0.2', '  limit: 15000',
];
const tune = '  - { name: finetune, type: finetune, epochs: 3, batchSize: 64, optimizer: { name: adam, learningRate: 0.001 } }';

/** Writes a recipe and runs it; the report, the run's wall seconds and its directory. */
function run(name, lines) {
  const file = join(work, `${name}.yaml`);
  const out = join(work, name);
  if (reuse) {
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    return { exitCode: report.status === 'complete' ? 0 : 1, seconds: report.seconds, out, report };
  }
  writeFileSync(file, ['version: 1', `name: ${name}`, 'seed: 42', ...data, ...lines, ''].join('\n'));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'bin/condense.mjs'), 'run', file, '--out', out, '--backend', backend], { encoding: 'utf8', env: NO_SHARED_CACHE });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    throw new Error(`${name}: exit ${r.status}`);
  }
  console.log(`${name}: ${seconds.toFixed(1)} s`);
  return { exitCode: r.status, seconds, out, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

/** The stock loader over the files on disk (what a user's tf.loadLayersModel reads). */
async function loadExport(dir) {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const bytes = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: group.weights,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  }));
}

/** Median ms per prediction of each model at `batch`, the models timed in alternation so drift hits both alike. */
function interleavedLatency(models, batch, runs) {
  const xs = tf.randomUniform([batch, ...models[0].inputs[0].shape.slice(1)], 0, 1, 'float32', 1);
  const times = models.map(() => []);
  for (let i = 0; i < runs + 5; i++) {
    models.forEach((m, k) => {
      const t0 = performance.now();
      const out = m.predict(xs);
      out.dataSync();
      out.dispose();
      if (i >= 5) times[k].push(performance.now() - t0);
    });
  }
  xs.dispose();
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

const base = run('base', ['model: { builtin: mobilenet }', 'stages:',
  `  - { name: baseline, type: train, epochs: ${epochs}, batchSize: 64, optimizer: { name: adam, learningRate: 0.003 } }`]);
const trained = join(base.out, 'model', 'model.json');
const unpruned = run('unpruned', [`model: { path: ${trained} }`, 'stages:', tune]);
const pruned = run('pruned', [`model: { path: ${trained} }`, 'stages:',
  `  - { name: shrink, type: prune, method: structured, sparsity: ${sparsity}, scope: layer }`, tune]);

const info = await selectBackend('wasm');
const models = [await loadExport(join(unpruned.out, 'model')), await loadExport(join(pruned.out, 'model'))];
const [u1, p1] = interleavedLatency(models, 1, 50);
const [u32, p32] = interleavedLatency(models, 32, 20);
const A = unpruned.report.final.metrics;
const B = pruned.report.final.metrics;
const bar = {
  exitZero: unpruned.exitCode === 0 && pruned.exitCode === 0,
  stockLoaderLoads: models.every((m) => m.layers.length > 0),
  paramsRatio: B.params / A.params,
  macsRatio: B.macs / A.macs,
  accuracyGap: A.accuracy - B.accuracy,
  latency32Ratio: p32 / u32,
};
const passed = bar.exitZero && bar.stockLoaderLoads && bar.paramsRatio <= 0.6 && bar.macsRatio <= 0.6 && bar.accuracyGap <= 0.03 && bar.latency32Ratio < 1;
const summary = {
  command: `node bench/structured.mjs --backend ${backend} --epochs ${epochs} --sparsity ${sparsity}`,
  ...(reuse ? { reused: 'the three runs were made by an earlier invocation of this command, whose timing step failed; timed here with --reuse' } : {}),
  date: new Date().toISOString(), node: process.version, runBackend: base.report.backend, timingBackend: info.name,
  trainImages: 12000, heldOut: 3000, baseEpochs: epochs, fineTuneEpochs: 3, sparsity,
  baseline: { accuracy: base.report.final.metrics.accuracy, params: base.report.final.metrics.params, macs: base.report.final.metrics.macs },
  unpruned: { accuracy: A.accuracy, params: A.params, macs: A.macs, latencyMs: A.latencyMs, latencyMs32: A.latencyMs32, bnAdaptedLayers: unpruned.report.stages.at(-1).metrics.bnAdaptedLayers },
  pruned: { accuracy: B.accuracy, params: B.params, macs: B.macs, latencyMs: B.latencyMs, latencyMs32: B.latencyMs32, removedUnits: pruned.report.stages[0].metrics.removedUnits },
  interleaved: { batch1: { unpruned: u1, pruned: p1 }, batch32: { unpruned: u32, pruned: p32 } },
  bar, passed, seconds: { base: base.seconds, unpruned: unpruned.seconds, pruned: pruned.seconds },
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, 'bench/results/structured.json');
writeFileSync(file, JSON.stringify(summary, null, 2) + '\n');
console.log(JSON.stringify({ bar, passed, unpruned: summary.unpruned, pruned: summary.pruned, interleaved: summary.interleaved }, null, 2));
console.log(`→ ${file}`);
process.exit(passed ? 0 : 1);
