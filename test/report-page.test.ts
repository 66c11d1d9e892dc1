// The report page as a person sees it, checked in headless Chromium: charts as wide as the
// content, no chart text outside its chart, scatter labels inside the plot and apart, no bar
// above the top tick, a long layer table folded, and no console errors.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../src/report/html.js';
import type { Report } from '../src/report/report.js';
import { scalarsFromStages } from '../src/report/scalars.js';
import { sharedChromium } from './browser.js';
import { ROOT, runCli, tempDir } from './helpers.js';

/** What the probe measures of one chart (CSS pixels). */
interface ChartProbe {
  title: string;
  width: number;
  /** Texts whose box passes the chart's edge. */
  overflowing: string[];
  /** Point labels that leave the plot area, or overlap another label. */
  labelsOutside: string[];
  labelsOverlapping: string[];
  /** Bars whose top is above the top grid line (the last tick). */
  barsAboveTopTick: number;
}

interface PageProbe {
  contentWidth: number;
  charts: ChartProbe[];
  visibleLayerRows: number;
  foldedLayerRows: number;
}

// A string, evaluated in the page: vitest's transform may add helpers a serialized function would lack.
const PROBE = `(() => {
  const main = document.querySelector('main');
  const style = getComputedStyle(main);
  const contentWidth = main.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const within = (r, b, slack) => r.left >= b.left - slack && r.right <= b.right + slack && r.top >= b.top - slack && r.bottom <= b.bottom + slack;
  const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const charts = [...document.querySelectorAll('svg.chart')].map((svg) => {
    const box = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')];
    const grid = [...svg.querySelectorAll('line.grid')].map((l) => l.getBoundingClientRect());
    const plot = grid.length ? { left: Math.min(...grid.map((g) => g.left)), right: Math.max(...grid.map((g) => g.right)), top: Math.min(...grid.map((g) => g.top)), bottom: Math.max(...grid.map((g) => g.bottom)) } : box;
    const labels = texts.filter((t) => t.classList.contains('label')).map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }));
    return {
      title: svg.getAttribute('aria-label'),
      width: box.width,
      overflowing: texts.filter((t) => !within(t.getBoundingClientRect(), box, 0.5)).map((t) => t.textContent),
      labelsOutside: labels.filter((l) => !within(l.r, plot, 0.5)).map((l) => l.text),
      labelsOverlapping: labels.filter((l, i) => labels.some((m, j) => i !== j && meets(l.r, m.r))).map((l) => l.text),
      barsAboveTopTick: [...svg.querySelectorAll('rect.bar')].filter((b) => b.getBoundingClientRect().top < plot.top - 0.5).length,
    };
  });
  const rows = [...document.querySelectorAll('#layers tbody tr')];
  return { contentWidth, charts, visibleLayerRows: rows.filter((r) => r.checkVisibility()).length, foldedLayerRows: rows.filter((r) => r.closest('details')).length };
})()`;

/** Opens `file` 1280 px wide, collects console and page errors, probes the layout, takes a screenshot. */
async function look(browser: Browser, file: string, shot: string): Promise<PageProbe & { errors: string[]; png: PNG }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`); });
    page.on('pageerror', (err) => errors.push(`exception: ${err.message}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const probe = await page.evaluate(PROBE) as PageProbe;
    const buffer = await page.screenshot({ fullPage: true, type: 'png' });
    writeFileSync(shot, buffer);
    return { ...probe, errors, png: PNG.sync.read(buffer) };
  } finally {
    await page.close();
  }
}

/** A MobileNet-sized report: 9 stages (several at one size, crowding the scatter) and 150 layers. */
function bigReport(): Report {
  const names = ['baseline', 'prune-30', 'prune-60', 'prune-90', 'finetune', 'distill', 'quantize', 'final', 'noise-check'];
  const stages = names.map((name, i) => ({
    name, type: i === 0 ? 'train' : 'finetune', status: 'ran', seconds: 10 + i,
    metrics: { accuracy: 0.71 - i * 0.002, params: 4_200_000, sizeBytes: i < 6 ? 16_900_000 : 4_300_000, gzipBytes: i < 6 ? 15_000_000 : 3_100_000 },
    history: i < 6 ? [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 1.5 - 0.1 * epoch - 0.05 * i, trainAccuracy: 0.6 + 0.02 * epoch, learningRate: 0.001 * 0.5 ** i })) : [],
  }));
  const layers = Array.from({ length: 150 }, (_, i) => ({ name: `block_${i}_conv`, className: 'Conv2D', weights: [
    { key: `block_${i}_conv/kernel`, shape: [3, 3, 32 + (i % 7) * 16, 32], params: 9 * 32 * (32 + (i % 7) * 16), nonzeroParams: 100, sparsity: 0.9, dtype: 'uint8', bytes: 9 * 32 * (32 + (i % 7) * 16) },
  ] }));
  return {
    status: 'complete', name: 'mobilenet-like', backend: 'native', backendVersion: 'x', seed: 1, recipeHash: 'c'.repeat(64), seconds: 100, stages,
    baseline: { stage: 'baseline', metrics: stages[0]!.metrics },
    final: { metrics: stages[7]!.metrics, relative: { accuracyDrop: 0.014, sizeRatio: 0.254 }, layers },
    gates: [],
  };
}

const dir = tempDir();
let tinyHtml: string;

beforeAll(() => {
  const out = join(dir, 'tiny');
  const run = runCli(['run', join(ROOT, 'test/fixtures/recipes/tiny.yaml'), '--out', out, '--backend', 'wasm']);
  expect(run.code, run.stderr).toBe(0);
  tinyHtml = join(out, 'report.html');
  const report = bigReport();
  writeFileSync(join(dir, 'big.html'), renderHtml({ report, scalars: scalarsFromStages(report.stages) }));
}, 120_000);

describe('the report page in headless Chromium', () => {
  const browser = sharedChromium();

  for (const [name, file] of [['the tiny recipe\'s run', () => tinyHtml], ['a 9-stage, 150-layer report', () => join(dir, 'big.html')]] as const) {
    it(`${name}: charts fill the width, keep their text inside, labels apart, bars under the top tick; no errors`, async () => {
      const page = await look(await browser(), file(), join(dir, `${name.replace(/\W+/g, '-')}.png`));
      expect(page.errors).toEqual([]);
      expect(page.charts.length).toBeGreaterThanOrEqual(4);
      for (const chart of page.charts) {
        expect(chart.width, chart.title).toBeGreaterThanOrEqual(0.9 * page.contentWidth);
        expect(chart.overflowing, chart.title).toEqual([]);
        expect(chart.labelsOutside, chart.title).toEqual([]);
        expect(chart.labelsOverlapping, chart.title).toEqual([]);
        expect(chart.barsAboveTopTick, chart.title).toBe(0);
      }
      expect(page.png.width).toBe(1280);
      expect(page.png.height).toBeGreaterThan(900);
    });
  }

  it('folds a long layer table: at most 12 layers and the total visible, the rest in a closed <details>', async () => {
    const page = await look(await browser(), join(dir, 'big.html'), join(dir, 'big-layers.png'));
    expect(page.visibleLayerRows).toBe(13);
    expect(page.foldedLayerRows).toBe(138);
  });

  it('the probe catches what it must reject: text past a chart\'s edge, a narrow chart, a bar above the last tick, overlapping labels', async () => {
    const html = readFileSync(tinyHtml, 'utf8')
      .replace('</svg>', '<text x="5000" y="20">far off</text></svg>')
      .replace('svg.chart{display:block;', 'svg.chart{display:block;max-width:400px;')
      .replace(/(<rect x="[\d.]+" y=")[\d.]+(" [^>]*class="bar")/, '$1-50$2')
      .replace(/(<text x=")[\d.]+(" y=")[\d.]+(" text-anchor="\w+" class="label">)/g, '$1400$2100$3');
    const broken = join(dir, 'broken.html');
    writeFileSync(broken, html);
    const page = await look(await browser(), broken, join(dir, 'broken.png'));
    expect(page.charts[0]!.overflowing).toContain('far off');
    expect(page.charts.every((c) => c.width < 0.9 * page.contentWidth)).toBe(true);
    expect(page.charts.some((c) => c.barsAboveTopTick > 0)).toBe(true);
    expect(page.charts.some((c) => c.labelsOverlapping.length > 1)).toBe(true);
  });
});
