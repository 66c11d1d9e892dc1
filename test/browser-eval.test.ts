// The evaluate stage's browser measurement, end to end through the CLI: a quickstart-size model
// measured in headless Chromium on wasm and webgl, and what happens without a browser.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { findChromium } from './browser.js';
import { requireSystemDep, runCli, tempDir } from './helpers.js';

/** A quickstart-size recipe (LeNet-300-100, quantized) on a small MNIST slice, ending in a browser evaluation. */
function recipe(browser: string, gates = ''): string {
  const dir = tempDir('condense-browser-');
  writeFileSync(join(dir, 'recipe.yaml'), ['version: 1', 'name: browser', 'seed: 3', 'data: { dataset: mnist, limit: 1500 }',
    'model: { builtin: mlp, hidden: [300, 100] }', 'stages:',
    '  - { name: baseline, type: train, epochs: 1, batchSize: 128 }',
    '  - { name: quantize, type: quantize, weights: { dtype: uint8 } }',
    `  - { name: final, type: evaluate, browser: ${browser} }`, gates, ''].join('\n'));
  return dir;
}

/** PIDs of live (not zombie) processes whose environment holds `marker`: Chromium inherits the CLI's. */
function processesWithMarker(marker: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((pid) => {
    try {
      if (/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return [];
      return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker) ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}

const brotliSize = (bytes: Buffer) => brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length;

describe('evaluate browser: in headless Chromium', () => {
  const chromium = findChromium();
  beforeEach((ctx) => requireSystemDep(ctx, 'chromium', chromium !== undefined, 'apt-get install chromium, or set CONDENSE_CHROMIUM'));

  it('measures wasm and webgl: agreement, latencies growing with batch, the brotli download; leaves no browser behind', () => {
    const dir = recipe('{ backends: [wasm, webgl], runs: 20, warmup: 3, slice: 200 }', 'gates:\n  browser.wasm.latencyMs.32: { max: 1000 }\n  browser.transferBytes: { max: 10000000 }');
    const marker = `condense-test-${randomUUID()}`;
    const started = Date.now();
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'run'), '--backend', 'wasm'], { env: { CONDENSE_TEST_MARKER: marker } });
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    const report = JSON.parse(readFileSync(join(dir, 'run', 'report.json'), 'utf8'));
    const browser = report.final.browser;
    expect(browser.engine).toMatch(/^Chromium \d+/);
    expect(report.stages.at(-1).browser).toEqual(browser);
    const modelDir = join(dir, 'run', 'model');
    const brotli = readdirSync(modelDir).reduce((n, f) => n + brotliSize(readFileSync(join(modelDir, f))), 0);
    for (const name of ['wasm', 'webgl']) {
      const b = browser.backends[name];
      expect(b.status, JSON.stringify(b)).toBe('measured');
      expect(b.agreement).toBeGreaterThanOrEqual(0.99);
      expect(b.examples).toBe(200);
      // Both batch sizes timed; which is slower is left to benchmarks (a loaded machine can invert them).
      expect(Object.keys(b.latencyMs).sort()).toEqual(['1', '32']);
      for (const ms of Object.values(b.latencyMs)) expect(ms).toBeGreaterThan(0);
      expect(b.p90Ms['32']).toBeGreaterThanOrEqual(b.latencyMs['32']);
      expect(b.loadMs).toBeGreaterThan(0);
      expect(b.memoryBytes).toBeGreaterThan(0);
      expect(b.encoding).toBe('br');
      expect(Math.abs(b.transferBytes - brotli) / brotli).toBeLessThanOrEqual(0.01);
      expect(b.decodedBytes).toBe(report.final.metrics.sizeBytes);
    }
    expect(browser.backends.webgl.details.software).toBe(true);
    expect(report.gates.map((g: { metric: string; passed: boolean; value: number }) => [g.metric, g.passed, g.value]))
      .toEqual([['browser.wasm.latencyMs.32', true, browser.backends.wasm.latencyMs['32']], ['browser.transferBytes', true, browser.backends.wasm.transferBytes]]);
    const md = readFileSync(join(dir, 'run', 'report.md'), 'utf8');
    expect(md).toContain('## In the browser');
    expect(md).toMatch(/\| webgl \(software\) \| [\d.]+ KiB br \|/);
    expect(md).toContain('SwiftShader');
    expect(readFileSync(join(dir, 'run', 'report.html'), 'utf8')).toContain('<section id="browser">');
    expect(processesWithMarker(marker)).toEqual([]);
  });
});

describe('the quickstart in the browser', () => {
  const chromium = findChromium();
  beforeEach((ctx) => requireSystemDep(ctx, 'chromium', chromium !== undefined, 'apt-get install chromium, or set CONDENSE_CHROMIUM'));

  it('ends with a browser evaluation on wasm and webgl that agrees with condense and downloads the brotli size of model/', () => {
    const out = tempDir('condense-quickstart-browser-');
    const r = runCli(['run', 'recipes/quickstart.yaml', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const brotli = readdirSync(join(out, 'model')).reduce((n, f) => n + brotliSize(readFileSync(join(out, 'model', f))), 0);
    for (const name of ['wasm', 'webgl']) {
      const b = report.final.browser.backends[name];
      expect(b.status, JSON.stringify(b)).toBe('measured');
      expect(b.agreement).toBeGreaterThanOrEqual(0.99);
      // Both batch sizes timed; which is slower is left to benchmarks (a loaded machine can invert them).
      expect(Object.keys(b.latencyMs).sort()).toEqual(['1', '32']);
      for (const ms of Object.values(b.latencyMs)) expect(ms).toBeGreaterThan(0);
      expect(b.encoding).toBe('br');
      expect(Math.abs(b.transferBytes - brotli) / brotli).toBeLessThanOrEqual(0.01);
    }
  }, 120_000);
});

describe('evaluate browser: without Chromium', () => {
  // An empty PATH and no CONDENSE_CHROMIUM: no browser to be found.
  const noBrowser = { PATH: tempDir('condense-empty-path-'), CONDENSE_CHROMIUM: '' };

  it('fails with exit 2 and an install hint', () => {
    const dir = recipe('{ backends: [wasm] }');
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'run'), '--backend', 'wasm'], { env: noBrowser });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stage "final": a browser evaluation needs Chromium, and none was found');
    expect(r.stderr).toMatch(/hint: .*apt-get install chromium.*CONDENSE_CHROMIUM/);
  });

  it('with optional: true, runs on and records the skip as a warning in the report', () => {
    const dir = recipe('{ backends: [wasm, webgl], optional: true }', 'gates:\n  browser.wasm.latencyMs: { max: 5 }');
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'run'), '--backend', 'wasm'], { env: noBrowser });
    expect(r.code, r.stderr).toBe(3); // the browser gate was not measured, so it is not met
    const report = JSON.parse(readFileSync(join(dir, 'run', 'report.json'), 'utf8'));
    expect(report.stages.at(-1).browser.skipped).toMatch(/^no Chromium found/);
    expect(report.final.browser).toBeUndefined();
    expect(report.warnings).toEqual([expect.stringMatching(/^stage "final": browser evaluation skipped: no Chromium found/)]);
    expect(report.gates[0]).toMatchObject({ metric: 'browser.wasm.latencyMs', value: null, passed: false });
    expect(readFileSync(join(dir, 'run', 'report.md'), 'utf8')).toMatch(/## Warnings\n\n- ⚠️ stage "final": browser evaluation skipped/);
  });

  it('refuses a gate on an unknown browser figure before running', () => {
    const dir = recipe('{ backends: [wasm] }', 'gates:\n  browser.wasm.speed: { max: 5 }');
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'run')], { env: noBrowser });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gate on unknown browser figure "browser.wasm.speed"');
  });
});
