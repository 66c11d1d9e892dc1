// Checkpoint write (every file fsynced, manifest with sha256, atomic rename) and verified read
// throughput for a 100M-parameter model (400 MB of float32 in 4 MiB shards), with peak RSS.
// Usage: node bench/checkpoint.mjs [--params 100000000] [--runs 3]   (needs `npm run build`)
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCheckpoint, writeCheckpoint } from '../dist/store/checkpoint.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : fallback);
const params = Number(arg('params', '100000000'));
const runs = Number(arg('runs', '3'));
const shard = 4 * 1024 * 1024;
const bytes = params * 4;
const files = new Map();
const data = new Uint8Array(bytes);
for (let i = 0; i < bytes; i += 4096) data[i] = i & 0xff;
for (let i = 0, n = 1; i < bytes; i += shard, n++) files.set(`model/group1-shard${n}.bin`, data.subarray(i, Math.min(bytes, i + shard)));
files.set('state.json', new TextEncoder().encode('{}'));
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'condense-ckpt-'));
const results = [];
for (let r = 0; r < runs; r++) {
  const target = join(dir, `ckpt-${r}`);
  let t0 = performance.now();
  writeCheckpoint(target, 'bench', files);
  const write = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const back = readCheckpoint(target);
  const read = (performance.now() - t0) / 1000;
  if (back.files.size !== files.size) throw new Error('read back a different checkpoint');
  results.push({ writeSeconds: write, readSeconds: read, writeMBps: bytes / 1e6 / write, readMBps: bytes / 1e6 / read });
  console.log(`run ${r + 1}: write ${(bytes / 1e6 / write).toFixed(0)} MB/s, read+verify ${(bytes / 1e6 / read).toFixed(0)} MB/s`);
  rmSync(target, { recursive: true, force: true });
}
rmSync(dir, { recursive: true, force: true });
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = {
  command: `node bench/checkpoint.mjs --params ${params} --runs ${runs}`,
  date: new Date().toISOString(),
  params, bytes,
  medianWriteMBps: median(results.map((r) => r.writeMBps)),
  medianReadMBps: median(results.map((r) => r.readMBps)),
  peakRssMB: process.resourceUsage().maxRSS / 1024,
  runs: results,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/checkpoint.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(`median write ${summary.medianWriteMBps.toFixed(0)} MB/s, read ${summary.medianReadMBps.toFixed(0)} MB/s, peak RSS ${summary.peakRssMB.toFixed(0)} MB`);
