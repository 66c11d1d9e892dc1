// Runner overhead: `condense run` on the quickstart vs the same stages called directly
// (bench/plain-quickstart.mjs), interleaved, medians of several runs, same backend.
// Usage: node bench/runner-overhead.mjs [--runs 3] [--backend native]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Measure the work, not the stage cache all runs share (~/.cache/condense): every run computes its
// stages. The quickstart's optional browser evaluation is left out of both sides.
const NO_SHARED_CACHE = { ...process.env, CONDENSE_CACHE: 'off', CONDENSE_BROWSER: 'off' };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : fallback);
const runs = Number(arg('runs', '3'));
const backend = arg('backend', 'native');
const time = (args) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: NO_SHARED_CACHE });
  if (r.status !== 0) throw new Error(r.stderr);
  return (performance.now() - t0) / 1000;
};
const runner = [];
const plain = [];
const cached = [];
for (let i = 0; i < runs; i++) {
  const out = mkdtempSync(join(tmpdir(), 'condense-overhead-'));
  runner.push(time([join(root, 'bin/condense.mjs'), 'run', '--out', out, '--backend', backend]));
  cached.push(time([join(root, 'bin/condense.mjs'), 'run', '--out', out, '--backend', backend]));
  plain.push(time([join(root, 'bench/plain-quickstart.mjs'), backend]));
  rmSync(out, { recursive: true, force: true });
  console.log(`run ${i + 1}: condense ${runner.at(-1).toFixed(2)} s, all cached ${cached.at(-1).toFixed(2)} s, plain ${plain.at(-1).toFixed(2)} s`);
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = {
  command: `node bench/runner-overhead.mjs --runs ${runs} --backend ${backend}`,
  date: new Date().toISOString(),
  backend,
  medianRunnerSeconds: median(runner),
  medianPlainSeconds: median(plain),
  medianAllCachedSeconds: median(cached),
  overhead: median(runner) / median(plain) - 1,
  runner, plain, cached,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, `bench/results/runner-overhead-${backend}.json`), JSON.stringify(summary, null, 2) + '\n');
console.log(`overhead ${(summary.overhead * 100).toFixed(1)}% (condense ${summary.medianRunnerSeconds.toFixed(2)} s vs plain ${summary.medianPlainSeconds.toFixed(2)} s); all-cached rerun ${summary.medianAllCachedSeconds.toFixed(2)} s`);
