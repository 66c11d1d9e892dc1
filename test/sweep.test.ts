import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecipeError, formatProblem } from '../src/errors.js';
import { paretoFront } from '../src/sweep/pareto.js';
import { readSweep } from '../src/sweep/spec.js';
import { findChromium, launchChromium } from './browser.js';
import { requireSystemDep, ROOT, runCli, tempCache, tempDir } from './helpers.js';

// The quickstart these recipes extend ends with an optional browser evaluation: what this file
// tests does not need it (test/browser-eval.test.ts does), so its runs leave it out.
process.env.CONDENSE_BROWSER = 'off';

const SWEEP = join(ROOT, 'test/fixtures/sweep/sweep.yaml');
const events = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l));

let out: string;
let cache: string;
let first: ReturnType<typeof runCli>;
beforeAll(() => {
  out = join(tempDir('condense-sweep-'), 'sweep');
  cache = tempCache();
  first = runCli(['sweep', SWEEP, '--out', out, '--workers', '2', '--backend', 'wasm', '--json'], { env: { CONDENSE_CACHE: cache } });
}, 300_000);

describe('condense sweep (3 sparsities × 2 finetune lengths, --workers 2)', () => {
  it('runs 6 trials into trials/NNN-<values>, the baseline stage once, shared stages from the cache', () => {
    expect(first.code, first.stderr).toBe(0);
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(sweep.trials.map((t: { dir: string }) => t.dir)).toEqual([
      'trials/001-sparsity=0.5_epochs=1', 'trials/002-sparsity=0.5_epochs=2', 'trials/003-sparsity=0.7_epochs=1',
      'trials/004-sparsity=0.7_epochs=2', 'trials/005-sparsity=0.9_epochs=1', 'trials/006-sparsity=0.9_epochs=2',
    ]);
    const stages = sweep.trials.map((t: { stages: Record<string, string> }) => t.stages);
    expect(stages.filter((s: Record<string, string>) => s.baseline === 'ran')).toHaveLength(1);
    // One prune per sparsity: the two finetune lengths of a sparsity share it.
    expect(stages.filter((s: Record<string, string>) => s.prune === 'ran')).toHaveLength(3);
    for (const t of sweep.trials) {
      expect(t.status).toBe('done');
      const resolved = readFileSync(join(out, t.dir, 'recipe.resolved.yaml'), 'utf8');
      expect(resolved).toContain(`sparsity: ${t.values['vars.sparsity']}`);
      expect(JSON.parse(readFileSync(join(out, t.dir, 'report.json'), 'utf8')).final.metrics.accuracy).toBe(t.metrics.accuracy);
    }
  });

  it('sweep.json lists every trial with its objectives and the Pareto front among them', () => {
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(sweep.objectives).toEqual(['accuracy:max', 'gzipBytes:min']);
    for (const t of sweep.trials) {
      expect(typeof t.metrics.accuracy).toBe('number');
      expect(typeof t.metrics.gzipBytes).toBe('number');
    }
    const objectives = [{ metric: 'accuracy', goal: 'max' as const }, { metric: 'gzipBytes', goal: 'min' as const }];
    expect(sweep.pareto).toEqual(paretoFront(sweep.trials.map((t: { metrics: Record<string, number> }) => t.metrics), objectives));
    expect(sweep.pareto.length).toBeGreaterThan(0);
    const ended = events(first.stdout).filter((e) => e.event === 'trial-end');
    expect(ended).toHaveLength(6);
    expect(events(first.stdout).at(-1)).toMatchObject({ event: 'sweep-end', pareto: sweep.pareto, failed: 0 });
  });

  it('sweep.html opens in Chromium without console errors, with a row per trial and the front drawn', async (ctx) => {
    const chromium = findChromium();
    requireSystemDep(ctx, 'chromium', !!chromium, 'apt-get install chromium');
    const browser = await launchChromium(chromium);
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(pathToFileURL(join(out, 'sweep.html')).href, { waitUntil: 'load' });
      const seen = await page.evaluate('({ rows: document.querySelectorAll("tbody tr").length, front: document.querySelectorAll("tr.front").length, dots: document.querySelectorAll("svg circle").length })') as { rows: number; front: number; dots: number };
      const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
      expect(seen).toEqual({ rows: 6, front: sweep.pareto.length, dots: 6 });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('an interrupted sweep continues where it stopped: only the unfinished trial runs again', () => {
    rmSync(join(out, 'trials/004-sparsity=0.7_epochs=2', 'report.json'));
    const again = runCli(['sweep', SWEEP, '--out', out, '--workers', '2', '--backend', 'wasm', '--json'], { env: { CONDENSE_CACHE: cache } });
    expect(again.code, again.stderr).toBe(0);
    const lines = events(again.stdout);
    expect(lines[0]).toMatchObject({ event: 'sweep-start', trials: 6, done: 5 });
    expect(lines.filter((e) => e.event === 'trial-start').map((e) => e.index)).toEqual([3]);
    expect(JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')).trials.every((t: { status: string }) => t.status === 'done')).toBe(true);
  });
});

describe('sweep files', () => {
  const dir = join(ROOT, 'test/fixtures/sweep');
  it('a random space draws the same trials from the same seed', () => {
    const file = join(tempDir(), 'random.yaml');
    writeFileSync(file, `version: 1\nrecipe: ${join(dir, 'recipe.yaml')}\nrandom: { samples: 4, seed: 3, space: { vars.sparsity: { min: 0.5, max: 0.95 }, stages.finetune.epochs: [1, 2, 3] } }\nobjectives: [accuracy:max]\n`);
    const a = readSweep(file).trials;
    expect(a).toHaveLength(4);
    expect(readSweep(file).trials).toEqual(a);
    for (const t of a) {
      expect(t.values['vars.sparsity']).toBeGreaterThanOrEqual(0.5);
      expect(t.values['vars.sparsity']).toBeLessThanOrEqual(0.95);
      expect([1, 2, 3]).toContain(t.values['stages.finetune.epochs']);
    }
  });

  it('mistakes are located in the sweep file', () => {
    const file = join(tempDir(), 'bad.yaml');
    writeFileSync(file, 'version: 1\nrecipe: ./r.yaml\ngrid: { vars.sparsity: [] }\nobjectives: [accuracy:maximum]\nworkers: 2\n');
    let problems: string[] = [];
    try {
      readSweep(file);
    } catch (err) {
      if (!(err instanceof RecipeError)) throw err;
      problems = err.problems.map(formatProblem);
    }
    expect(problems).toEqual([
      `${file}:3:24: grid.vars.sparsity must be a non-empty list of values [grid]`,
      `${file}:4:14: objective "accuracy:maximum" is not METRIC:max or METRIC:min [objectives]\n  hint: e.g. accuracy:max, sizeBytes:min`,
      `${file}:5:1: unknown key "workers" in a sweep file [additionalProperties]\n  hint: keys: version, recipe, grid or random, objectives, set, description`,
    ]);
  });
});
