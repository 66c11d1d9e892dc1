import { describe, expect, it } from 'vitest';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { downloadOf, relativeMetrics } from './report.js';
import type { Report } from './report.js';

const baseline = { accuracy: 0.95, params: 1000, sizeBytes: 100_000, gzipBytes: 92_000 };
function reportWith(final: Record<string, number>): Report {
  return {
    name: 'headline', backend: 'wasm', backendVersion: '4.22.0', seed: 1, recipeHash: 'c'.repeat(64), seconds: 1,
    stages: [{ name: 'baseline', type: 'train', status: 'ran', seconds: 1, metrics: baseline, history: [] }],
    baseline: { stage: 'baseline', metrics: baseline },
    final: { metrics: final, relative: relativeMetrics(baseline, final) },
    gates: [],
  };
}

describe('the headline leads with what a browser downloads', () => {
  it('the smaller of brotli and gzip, as a ratio to the float32 model, then accuracy', () => {
    const final = { accuracy: 0.96, params: 1000, sizeBytes: 25_000, gzipBytes: 4_000, brotliBytes: 2_500 };
    expect(downloadOf(final)).toEqual({ bytes: 2_500, encoding: 'brotli' });
    expect(relativeMetrics(baseline, final).downloadRatio).toBeCloseTo(0.025, 12);
    const md = renderMarkdown(reportWith(final));
    expect(md).toContain('vs baseline: **2,500 bytes to download (brotli 11), 40.0× smaller than the float32 model (100,000 bytes); accuracy gained 1.00 points** (stored 4.0× smaller than float32');
    const html = renderHtml({ report: reportWith(final), scalars: [] });
    expect(html).toMatch(/Final model vs <em>baseline<\/em>: <strong>2,500 bytes to download \(brotli 11\), 40\.0× smaller than the float32 model \(100,000 bytes\)<\/strong> \(stored 4\.0× smaller than float32[^)]*\)\); accuracy/);
  });

  it('gzip when brotli was not measured or is larger; the stored size alone when neither was', () => {
    expect(downloadOf({ gzipBytes: 900, brotliBytes: 950 })).toEqual({ bytes: 900, encoding: 'gzip' });
    expect(renderMarkdown(reportWith({ accuracy: 0.95, sizeBytes: 50_000, gzipBytes: 20_000 }))).toContain('**20,000 bytes to download (gzip 6), 5.0× smaller than the float32 model (100,000 bytes); accuracy unchanged**');
    expect(renderMarkdown(reportWith({ accuracy: 0.95, sizeBytes: 50_000 }))).toContain('**2.0× smaller (50.00% of the float32 size); accuracy unchanged**');
  });
});
