// One recipe on several backends, side by side in one run: accuracy and per-stage seconds.
// Usage: node bench/backends.mjs RECIPE [--backends native,wasm,cpu] [--set PATH=VALUE]... [--name NAME]
// Writes bench/results/backends-<name>.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Measure the work, not the stage cache all runs share (~/.cache/condense): every run computes its stages.
const NO_SHARED_CACHE = { ...process.env, CONDENSE_CACHE: 'off' };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const recipe = args[0];
const value = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
const backends = value('--backends', 'native,wasm,cpu').split(',');
const sets = args.flatMap((a, i) => (a === '--set' ? ['--set', args[i + 1]] : []));
const name = value('--name', basename(recipe, '.yaml'));
const rows = [];
for (const backend of backends) {
  const out = mkdtempSync(join(tmpdir(), 'condense-backends-'));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'bin/condense.mjs'), 'run', recipe, '--out', out, '--backend', backend, ...sets], { encoding: 'utf8', env: NO_SHARED_CACHE });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0 && r.status !== 3) {
    rows.push({ backend, error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') });
    console.log(`${backend}: failed: ${rows.at(-1).error}`);
    continue;
  }
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  const stageSeconds = Object.fromEntries(report.stages.map((s) => [s.name, s.seconds]));
  rows.push({ backend: report.backend, backendVersion: report.backendVersion, seconds, accuracy: report.final.metrics.accuracy, stageSeconds });
  console.log(`${backend}: ${seconds.toFixed(1)} s, accuracy ${report.final.metrics.accuracy}, stages ${JSON.stringify(stageSeconds)}`);
  rmSync(out, { recursive: true, force: true });
}
const ok = rows.filter((r) => !r.error);
const ratios = {};
for (const a of ok) for (const b of ok) {
  if (a === b) continue;
  const train = (r) => Object.entries(r.stageSeconds).filter(([k]) => k !== 'quantize' && k !== 'final').reduce((n, [, v]) => n + v, 0);
  ratios[`${b.backend}/${a.backend} training seconds`] = Number((train(b) / train(a)).toFixed(2));
}
const summary = { command: `node bench/backends.mjs ${args.join(' ')}`, date: new Date().toISOString(), rows, ratios };
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, `bench/results/backends-${name}.json`), JSON.stringify(summary, null, 2) + '\n');
console.log(JSON.stringify(ratios, null, 2));
