// Quickstart wall time: `condense run` on recipes/quickstart.yaml, fresh run directory each time.
// Usage: node bench/quickstart.mjs [--runs 3] [--backend auto]
// Writes bench/results/quickstart-<backend>.json with every run and the median.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// Measure the work, not the stage cache all runs share (~/.cache/condense): every run computes its stages.
const NO_SHARED_CACHE = { ...process.env, CONDENSE_CACHE: 'off' };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('runs', '3'));
const backend = arg('backend', 'auto');
const results = [];
for (let i = 0; i < runs; i++) {
  const out = mkdtempSync(join(tmpdir(), 'condense-bench-'));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'bin/condense.mjs'), 'run', '--out', out, '--backend', backend], { encoding: 'utf8', env: NO_SHARED_CACHE });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const m = report.final.metrics;
  const modelJson = statSync(join(out, 'model/model.json')).size;
  const float32Bytes = m.params * 4 + modelJson;
  const kernels = report.final.layers.flatMap((l) => l.weights).filter((w) => w.shape.length >= 2);
  const kernelZeros = 1 - kernels.reduce((n, w) => n + w.nonzeroParams, 0) / kernels.reduce((n, w) => n + w.params, 0);
  results.push({
    seconds, backend: report.backend, accuracy: m.accuracy, sparsity: m.sparsity, sizeBytes: m.sizeBytes,
    float32Bytes, sizeRatio: m.sizeBytes / float32Bytes, gzipBytes: m.gzipBytes, kernelZeros,
    stageSeconds: Object.fromEntries(report.stages.map((s) => [s.name, s.seconds])),
  });
  console.log(`run ${i + 1}/${runs}: ${seconds.toFixed(1)} s, accuracy ${m.accuracy}, sparsity ${m.sparsity.toFixed(4)}, size ratio ${(m.sizeBytes / float32Bytes).toFixed(3)}, kernel zeros ${kernelZeros.toFixed(4)}`);
  rmSync(out, { recursive: true, force: true });
}
const sorted = results.map((r) => r.seconds).sort((a, b) => a - b);
const summary = {
  command: `node bench/quickstart.mjs --runs ${runs} --backend ${backend}`,
  date: new Date().toISOString(),
  node: process.version,
  medianSeconds: sorted[Math.floor(sorted.length / 2)],
  runs: results,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, `bench/results/quickstart-${results[0].backend}.json`);
writeFileSync(file, JSON.stringify(summary, null, 2) + '\n');
console.log(`median ${summary.medianSeconds.toFixed(1)} s → ${file}`);
