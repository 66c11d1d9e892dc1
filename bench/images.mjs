// The images dataset at scale: writes Fashion-MNIST's 60,000 training images as 28×28 grayscale
// PNGs in a class-folder tree, then loads them with `dataset: images` in a fresh process and
// reports the load time and the peak resident memory the load adds, against the images' uint8
// size (the target is ≤ 1.5×: images are held as bytes and converted to float32 per batch).
// Usage: node bench/images.mjs [--count 60000] [--baseline <dist dir>]
//   (needs `npm run build` and dataset-fashion-mnist; --baseline also loads the same tree with
//   another build, e.g. a copy of an older dist/ inside this checkout, for a before/after in one run)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

/** Peak resident set size of this process (VmHWM), in bytes. */
function vmHwm() {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : fallback);

if (process.argv[2] === '--load') {
  // The child: a fresh process that loads the tree (all of it, or `--limit N` images of it:
  // every file is still listed) and reports the peak resident memory the load added.
  const dist = process.argv.includes('--dist') ? process.argv[process.argv.indexOf('--dist') + 1] : join(root, 'dist');
  const { loadDataset } = await import(join(dist, 'data/index.js'));
  const limit = process.argv.includes('--limit') ? Number(process.argv[process.argv.indexOf('--limit') + 1]) : undefined;
  const spec = { dataset: 'images', path: process.argv[3], testFraction: 0.2, ...(limit ? { limit } : {}) };
  globalThis.gc?.();
  // VmHWM is this process's peak RSS (getrusage's maxRSS would include the parent's, kept across
  // exec); writing 5 to clear_refs resets it to the current RSS, so the peak is the load's.
  writeFileSync('/proc/self/clear_refs', '5');
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const data = loadDataset(spec, 1, '/');
  const seconds = (performance.now() - t0) / 1000;
  const peak = vmHwm();
  const { heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
  process.stdout.write(JSON.stringify({
    after: { heapTotal, heapUsed, external, arrayBuffers },
    seconds, rssBefore: before, peakRss: peak, growth: peak - before, storedBytes: data.train.x.byteLength + data.test.x.byteLength,
    count: data.train.count + data.test.count, inputShape: data.inputShape, numClasses: data.numClasses, storage: data.train.x.constructor.name,
  }));
  process.exit(0);
}

const count = Number(arg('count', '60000'));
const fashion = '/usr/share/datasets/fashion-mnist';
const { loadIdxPair } = await import(join(root, 'dist/data/idx.js'));
const source = loadIdxPair(`${fashion}/train-images-idx3-ubyte.gz`, `${fashion}/train-labels-idx1-ubyte.gz`);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'condense-images-'));
try {
  let t0 = performance.now();
  for (let c = 0; c < 10; c++) mkdirSync(join(dir, `class-${c}`));
  for (let i = 0; i < count; i++) {
    const r = i % source.count;
    const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    png.data = Buffer.from(Array.from(source.x.subarray(r * 784, (r + 1) * 784), (v) => Math.round(v * 255)));
    writeFileSync(join(dir, `class-${source.y[r]}`, `${String(i).padStart(5, '0')}.png`), PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
  }
  const writeSeconds = (performance.now() - t0) / 1000;
  console.log(`wrote ${count} PNGs in ${writeSeconds.toFixed(1)} s`);
  const load = (...flags) => JSON.parse(execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--load', dir, ...flags],
    { encoding: 'utf8', maxBuffer: 1 << 20 }));
  // the young generation's growth varies from run to run: the median of three fresh processes each
  const median = (runs) => runs.sort((a, b) => a.growth - b.growth)[1];
  const mb = (b) => (b / 1e6).toFixed(1);
  const baselineDist = arg('baseline', undefined);
  let baseline;
  if (baselineDist) {
    const runs = [0, 1, 2].map(() => load('--dist', baselineDist));
    const b = median(runs);
    baseline = { dist: baselineDist, loadSeconds: b.seconds, peakGrowthBytes: b.growth, growthOverUint8: b.growth / b.storedBytes, runs: runs.map((r) => r.growth / r.storedBytes) };
    console.log(`baseline (${baselineDist}): loaded ${b.count} images in ${b.seconds.toFixed(1)} s; peak RSS growth ${mb(b.growth)} MB = ${baseline.growthOverUint8.toFixed(2)}× the uint8 size`);
  }
  const fullRuns = [load(), load(), load()];
  const full = median([...fullRuns]);
  const small = median([load('--limit', '10000'), load('--limit', '10000'), load('--limit', '10000')]);
  // What scales with the number of images: the full load's growth beyond that of a 10,000-image
  // load of the same tree (V8's young generation growing to its working size, pngjs' code and
  // the listing cost both the same), over the extra images' uint8 size.
  const perImages = (full.growth - small.growth) / (full.storedBytes - small.storedBytes);
  const total = full.growth / full.storedBytes;
  console.log(`loaded ${full.count} images ${JSON.stringify(full.inputShape)} (${full.storage}, ${mb(full.storedBytes)} MB) in ${full.seconds.toFixed(1)} s`);
  console.log(`peak RSS growth ${mb(full.growth)} MB = ${total.toFixed(2)}× the uint8 size in all, a fresh process (target ≤ 1.5×); `
    + `beyond a 10,000-image load's ${mb(small.growth)} MB: ${perImages.toFixed(2)}×; after the load heap ${mb(full.after.heapTotal)} MB, array buffers ${mb(full.after.arrayBuffers)} MB`);
  const summary = {
    command: `node bench/images.mjs --count ${count}`, date: new Date().toISOString(), node: process.version,
    images: full.count, inputShape: full.inputShape, storage: full.storage, uint8Bytes: full.storedBytes, writeSeconds,
    loadSeconds: full.seconds, rssBeforeBytes: full.rssBefore, peakRssBytes: full.peakRss, peakGrowthBytes: full.growth, growthOverUint8: total,
    runsGrowthOverUint8: fullRuns.map((r) => r.growth / r.storedBytes), memoryAfterLoad: full.after,
    control: { images: small.count, uint8Bytes: small.storedBytes, peakGrowthBytes: small.growth, loadSeconds: small.seconds },
    attributableOverUint8: perImages, target: 1.5, pass: total <= 1.5,
    ...(baseline ? { baseline } : {}),
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/images.json'), JSON.stringify(summary, null, 2) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
