import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HTML_SECTIONS } from '../src/report/html.js';
import { sharedChromium } from './browser.js';
import { ROOT, runCli, tempDir } from './helpers.js';

const recipe = join(ROOT, 'test/fixtures/recipes/tiny.yaml');
const out = tempDir();
const gated = tempDir();
let run: ReturnType<typeof runCli>;
let gatedRun: ReturnType<typeof runCli>;

/** What the page did in the browser: requests beyond the page itself, errors, and its rendering. */
interface PageVisit {
  requests: string[];
  errors: string[];
  svgCount: number;
  /** Charts drawn with no area (an SVG that failed to lay out). */
  emptySvgs: number;
  sectionIds: string[];
  gatesText: string;
  overflowX: boolean;
  pageHeight: number;
  screenshot: Buffer;
}

/** Evaluated in the page as strings: vitest's transform may add helpers a serialized function would lack. */
const PAGE_PROBES = {
  svgCount: 'document.querySelectorAll("svg").length',
  emptySvgs: '[...document.querySelectorAll("svg")].filter((s) => { const r = s.getBoundingClientRect(); return !(r.width > 0 && r.height > 0); }).length',
  sectionIds: '[...document.querySelectorAll("section")].map((s) => s.id)',
  gatesText: 'document.getElementById("gates")?.innerText ?? ""',
  overflowX: 'document.documentElement.scrollWidth > document.documentElement.clientWidth',
  pageHeight: 'document.documentElement.scrollHeight',
};

/**
 * Opens a file in headless Chromium 1200 px wide, records every network request beyond the page
 * itself and every console, page or browser-log error or warning (CSP violations arrive as log
 * entries), reads its rendering and takes a full-page screenshot.
 */
async function visit(browser: Browser, file: string): Promise<PageVisit> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    const url = pathToFileURL(file).href;
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`); });
    page.on('pageerror', (err) => errors.push(`exception: ${err.message}`));
    const cdp = await context.newCDPSession(page);
    cdp.on('Log.entryAdded', ({ entry }) => { if (entry.level === 'error' || entry.level === 'warning') errors.push(`log.${entry.level}: ${entry.text}`); });
    await cdp.send('Log.enable');
    await page.goto(url, { waitUntil: 'load' });
    const probed = Object.fromEntries(await Promise.all(Object.entries(PAGE_PROBES).map(async ([k, js]) => [k, await page.evaluate(js)])));
    const screenshot = await page.screenshot({ fullPage: true, type: 'png' });
    // Let late messages (a failed subresource, a CSP report) arrive before judging.
    await page.waitForTimeout(200);
    return { requests, errors, ...probed, screenshot } as PageVisit;
  } finally {
    await context.close();
  }
}

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

beforeAll(() => {
  run = runCli(['run', recipe, '--out', out, '--backend', 'wasm', '--json']);
  gatedRun = runCli(['run', recipe, '--out', gated, '--backend', 'wasm', '--set', 'gates.accuracyDrop.max=-1', '--set', 'gates.sizeRatio.max=0.5']);
});

describe('report.html, report.md, scalars.jsonl (tiny recipe, end to end)', () => {
  it('writes every report, and report.json validates against its schema', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const f of ['report.json', 'report.md', 'report.html', 'scalars.jsonl']) expect(statSync(join(out, f)).size).toBeGreaterThan(0);
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/report.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true }).compile(schema);
    for (const dir of [out, gated]) {
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
      expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('records per-layer statistics of the final model that add up to its size', () => {
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const weights = report.final.layers.flatMap((l: { weights: unknown[] }) => l.weights);
    expect(weights.map((w: { key: string }) => w.key)).toEqual(['dense1/kernel', 'dense1/bias', 'output/kernel', 'output/bias']);
    // Every weight is stored uint8 but the 10-value output bias, which uint8 would make larger (its manifest entry outweighs 30 bytes).
    expect(weights.map((w: { dtype: string }) => w.dtype)).toEqual(['uint8', 'uint8', 'uint8', 'float32']);
    expect(weights[3].quantizationError.keptFloat).toBe('larger');
    const modelJson = statSync(join(out, 'model/model.json')).size;
    expect(weights.reduce((n: number, w: { bytes: number }) => n + w.bytes, 0) + modelJson).toBe(report.final.metrics.sizeBytes);
    expect(weights.reduce((n: number, w: { params: number }) => n + w.params, 0)).toBe(report.final.metrics.params);
    expect(weights[0].shape).toEqual([784, 32]);
    expect(weights[0].sparsity).toBeGreaterThan(0.75);
    // The baseline's size is its float32 checkpoint: 4 bytes a weight plus model.json.
    const baselineJson = statSync(join(out, 'stages/01-baseline/model/model.json')).size;
    expect(report.baseline.metrics.sizeBytes).toBe(report.final.metrics.params * 4 + baselineJson);
    expect(report.final.relative.sizeRatio).toBeCloseTo(report.final.metrics.sizeBytes / report.baseline.metrics.sizeBytes, 12);
    expect(report.stages.map((s: { exported: { sizeBytes: number } }) => s.exported.sizeBytes > 0)).toEqual([true, true, true, true, true]);
  });

  it('saves per-epoch scalars as JSON lines from the stage histories', () => {
    const lines = readFileSync(join(out, 'scalars.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    for (const l of lines) expect(Object.keys(l)).toEqual(['stage', 'step', 'tag', 'value', 'time']);
    expect(lines.filter((l) => l.stage === 'baseline' && l.tag === 'trainLoss').map((l) => [l.step, l.value]))
      .toEqual(report.stages[0].history.map((h: { epoch: number; trainLoss: number }) => [h.epoch, h.trainLoss]));
    expect(lines.some((l) => l.stage === 'prune' && l.tag === 'sparsity')).toBe(true);
    expect(new Set(lines.map((l) => l.stage))).toEqual(new Set(['baseline', 'prune', 'finetune']));
  });

  it('report.html has every section, the numbers, and nothing that reaches the network', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const id of HTML_SECTIONS) expect(html).toContain(`<section id="${id}">`);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(html).toContain(report.final.metrics.sizeBytes.toLocaleString('en-US'));
    expect(html).toContain('dense1/kernel'.split('/')[0]);
    expect(html).toContain('uint8, scale');
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(5);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\bsrc=|\bhref=/i);
    // The only URLs are the SVG namespace (an identifier, never fetched).
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
  });

  it('an unmet relative gate exits 3 and is named in stderr, report.md and report.html; a met one shows as met', () => {
    expect(gatedRun.code).toBe(3);
    expect(gatedRun.stderr).toContain('accuracyDrop');
    expect(gatedRun.stderr).toContain('max -1');
    expect(gatedRun.stderr).not.toContain('sizeRatio');
    const md = readFileSync(join(gated, 'report.md'), 'utf8');
    expect(md).toMatch(/❌ accuracyDrop = -?[\d.]+ \(max -1; baseline accuracy − final accuracy, baseline stage "baseline"\): NOT met/);
    expect(md).toMatch(/✅ sizeRatio = [\d.]+ \(max 0\.5; .*\): met/);
    expect(md).toContain('gates: 1 of 2 gates NOT met: accuracyDrop');
    const html = readFileSync(join(gated, 'report.html'), 'utf8');
    expect(html).toContain('<span class="unmet">✘ NOT met</span> accuracyDrop = ');
    expect(html).toContain('<span class="met">✔ met</span> sizeRatio = ');
    expect(html).toContain('gates: 1 of 2 gates NOT met: accuracyDrop');
    const report = JSON.parse(readFileSync(join(gated, 'report.json'), 'utf8'));
    expect(report.gates).toEqual([
      { metric: 'accuracyDrop', max: -1, value: report.final.relative.accuracyDrop, passed: false, baseline: 'baseline' },
      { metric: 'sizeRatio', max: 0.5, value: report.final.relative.sizeRatio, passed: true, baseline: 'baseline' },
    ]);
  });

  it('condense report re-renders report.md and report.html identically from the directory alone', () => {
    for (const dir of [out, gated]) {
      const before = ['report.md', 'report.html'].map((f) => readFileSync(join(dir, f), 'utf8'));
      for (const f of ['report.md', 'report.html']) writeFileSync(join(dir, f), 'stale');
      // Without the model and checkpoints: only report.json, scalars.jsonl and recipe.resolved.yaml are read.
      const bare = tempDir();
      for (const f of ['report.json', 'scalars.jsonl', 'recipe.resolved.yaml']) writeFileSync(join(bare, f), readFileSync(join(dir, f)));
      const again = runCli(['report', bare]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain(`wrote ${join(bare, 'report.html')}`);
      expect(['report.md', 'report.html'].map((f) => readFileSync(join(bare, f), 'utf8'))).toEqual(before);
      expect(runCli(['report', dir]).code).toBe(0);
      expect(['report.md', 'report.html'].map((f) => readFileSync(join(dir, f), 'utf8'))).toEqual(before);
    }
  });
});

describe('report.html in headless Chromium (playwright-core)', () => {
  const browser = sharedChromium();

  it('opens without errors or network requests, every section and chart laid out within 1200 px', async () => {
    const page = await visit(await browser(), join(gated, 'report.html'));
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.sectionIds).toEqual(HTML_SECTIONS);
    expect(page.svgCount).toBeGreaterThanOrEqual(5);
    expect(page.emptySvgs).toBe(0);
    expect(page.gatesText).toContain('✘ NOT met accuracyDrop');
    expect(page.gatesText).toContain('✔ met sizeRatio');
    expect(page.overflowX).toBe(false);
    const shot = process.env.CONDENSE_SCREENSHOT ?? join(gated, 'report.png');
    writeFileSync(shot, page.screenshot);
    expect(page.screenshot.subarray(1, 4).toString()).toBe('PNG');
    expect(pngSize(page.screenshot)).toEqual({ width: 1200, height: page.pageHeight });
    expect(page.pageHeight).toBeGreaterThan(900);
    expect(page.screenshot.length).toBeGreaterThan(20_000);
  });

  it('the visit catches what it must reject: a script error, a console error, a CSP violation and a request', async () => {
    // Control: proves the checks above can fail. One copy keeps the page's CSP (the inline
    // script is refused and logged); the other drops it, so the script runs and fetches.
    const html = readFileSync(join(gated, 'report.html'), 'utf8');
    const bad = '<script>console.error("boom"); fetch("http://127.0.0.1:9/x"); throw new Error("thrown")</script>';
    const dir = tempDir();
    const withCsp = join(dir, 'csp.html');
    const withoutCsp = join(dir, 'open.html');
    writeFileSync(withCsp, html.replace('</main>', `${bad}</main>`));
    writeFileSync(withoutCsp, html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '').replace('</main>', `${bad}</main>`));
    const refused = await visit(await browser(), withCsp);
    expect(refused.errors.join('\n')).toMatch(/Content Security Policy/);
    expect(refused.requests).toEqual([]);
    const open = await visit(await browser(), withoutCsp);
    expect(open.errors).toEqual(expect.arrayContaining(['console.error: boom', 'exception: thrown']));
    expect(open.requests).toEqual(['http://127.0.0.1:9/x']);
  });
});
