import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { HTML_SECTIONS } from '../src/report/html.js';
import { ROOT, runCli, tempDir } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
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
  sectionIds: string[];
  overflowX: boolean;
  screenshot: Buffer;
}

/**
 * Opens a file in headless Chromium over the DevTools protocol on a pipe (fds 3/4,
 * `--remote-debugging-pipe`: no WebSocket, no port), records every network request and every
 * console or log error, and takes a full-page screenshot 1200 px wide.
 */
async function visit(file: string, userDataDir: string): Promise<PageVisit> {
  const chrome = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions',
    `--user-data-dir=${userDataDir}`, '--remote-debugging-pipe', 'about:blank'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const toChrome = chrome.stdio[3] as NodeJS.WritableStream;
  const fromChrome = chrome.stdio[4] as NodeJS.ReadableStream;
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  const listeners: Array<(msg: any) => void> = [];
  let buffer = '';
  fromChrome.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let end;
    while ((end = buffer.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      if (msg.id !== undefined && pending.has(msg.id)) {
        const p = pending.get(msg.id)!;
        pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`CDP: ${msg.error.message}`));
        else p.resolve(msg.result);
      } else {
        for (const l of listeners) l(msg);
      }
    }
  });
  const send = (method: string, params: object = {}, sessionId?: string): Promise<any> => new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, { resolve, reject });
    toChrome.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
  });
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  try {
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const s = (method: string, params: object = {}) => send(method, params, sessionId);
    let loaded!: () => void;
    const load = new Promise<void>((r) => { loaded = r; });
    listeners.push((msg) => {
      if (msg.sessionId !== sessionId) return;
      const p = msg.params;
      if (msg.method === 'Network.requestWillBeSent' && p.request.url !== url) requests.push(p.request.url);
      if (msg.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'warning')) errors.push(`console.${p.type}: ${JSON.stringify(p.args)}`);
      if (msg.method === 'Runtime.exceptionThrown') errors.push(`exception: ${p.exceptionDetails.text}`);
      if (msg.method === 'Log.entryAdded' && (p.entry.level === 'error' || p.entry.level === 'warning')) errors.push(`log.${p.entry.level}: ${p.entry.text}`);
      if (msg.method === 'Page.loadEventFired') loaded();
    });
    await Promise.all([s('Network.enable'), s('Runtime.enable'), s('Log.enable'), s('Page.enable')]);
    await s('Emulation.setDeviceMetricsOverride', { width: 1200, height: 900, deviceScaleFactor: 1, mobile: false });
    await s('Page.navigate', { url });
    await load;
    const evaluate = async (expression: string) => (await s('Runtime.evaluate', { expression, returnByValue: true })).result.value;
    const svgCount = await evaluate('document.querySelectorAll("svg").length');
    const sectionIds = await evaluate('[...document.querySelectorAll("section")].map((s) => s.id)');
    const overflowX = await evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth');
    const { cssContentSize } = await s('Page.getLayoutMetrics');
    const shot = await s('Page.captureScreenshot', {
      format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width: 1200, height: Math.ceil(cssContentSize.height), scale: 1 },
    });
    // Let late messages (a failed subresource, a CSP report) arrive before judging.
    await new Promise((r) => setTimeout(r, 200));
    await send('Browser.close').catch(() => {});
    return { requests, errors, svgCount, sectionIds, overflowX, screenshot: Buffer.from(shot.data, 'base64') };
  } finally {
    chrome.kill();
  }
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
    expect(weights.every((w: { dtype: string }) => w.dtype === 'uint8')).toBe(true);
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
    expect(html).toContain('uint8 (scale');
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

  it.skipIf(!existsSync(CHROMIUM))('opens in headless Chromium without errors or network requests', async () => {
    const page = await visit(join(gated, 'report.html'), tempDir('condense-chromium-'));
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.sectionIds).toEqual(HTML_SECTIONS);
    expect(page.svgCount).toBeGreaterThanOrEqual(5);
    expect(page.overflowX).toBe(false);
    const shot = process.env.CONDENSE_SCREENSHOT ?? join(gated, 'report.png');
    writeFileSync(shot, page.screenshot);
    expect(page.screenshot.subarray(1, 4).toString()).toBe('PNG');
    expect(page.screenshot.length).toBeGreaterThan(20_000);
  });
});
