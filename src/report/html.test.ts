import { describe, expect, it } from 'vitest';
import { HTML_SECTIONS, renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './report.js';
import { parseScalars, scalarsFromStages, scalarsToJsonl } from './scalars.js';

const hostile = '<img src=x onerror=alert(1)>';
const report: Report = {
  name: hostile, backend: 'wasm', backendVersion: '4.22.0', seed: 1, recipeHash: 'b'.repeat(64), seconds: 3,
  stages: [
    { name: 'baseline', type: 'train', status: 'ran', seconds: 2, metrics: { accuracy: 0.9, params: 100 },
      history: [{ epoch: 1, trainLoss: 1.2, trainAccuracy: 0.6 }, { epoch: 2, trainLoss: 0.7, trainAccuracy: 0.8 }], exported: { sizeBytes: 1000, gzipBytes: 900 } },
    { name: hostile, type: 'quantize', status: 'cached', seconds: 0.1, metrics: { accuracy: 0.89, params: 100 }, history: [], exported: { sizeBytes: 300, gzipBytes: 200 } },
  ],
  baseline: { stage: 'baseline', metrics: { accuracy: 0.9, params: 100, sizeBytes: 1000, gzipBytes: 900 } },
  final: {
    metrics: { accuracy: 0.89, params: 100, sizeBytes: 300, gzipBytes: 200 }, relative: { accuracyDrop: 0.01, sizeRatio: 0.3 },
    layers: [{ name: 'dense1', className: 'Dense', weights: [{ key: 'dense1/kernel', shape: [10, 10], params: 100, nonzeroParams: 20, sparsity: 0.8, dtype: 'uint8', quantization: { dtype: 'uint8', min: -1, scale: 0.01 }, bytes: 100 }] }],
  },
  gates: [{ metric: 'accuracyDrop', max: 0.005, value: 0.01, passed: false, baseline: 'baseline' }, { metric: 'sizeRatio', max: 0.5, value: 0.3, passed: true, baseline: 'baseline' }],
};

describe('report.html', () => {
  const scalars = scalarsFromStages(report.stages);
  const html = renderHtml({ report, scalars, recipeYaml: `name: "${hostile}"\n` });

  it('escapes every text it puts into the page', () => {
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('has every section, the gates named, the layer table and a point per epoch', () => {
    for (const id of HTML_SECTIONS) expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain('<span class="unmet">✘ NOT met</span> accuracyDrop = 0.01 (max 0.005;');
    expect(html).toContain('<span class="met">✔ met</span> sizeRatio = 0.3');
    expect(html).toContain('uint8 (scale 0.01, min -1)');
    expect(html).toContain('<title>baseline epoch 2: 2, 0.7</title>');
    expect(html).toContain('3.3× smaller');
  });

  it('renders the same bytes twice (re-rendering is reproducible)', () => {
    expect(renderHtml({ report, scalars, recipeYaml: 'x: 1\n' })).toBe(renderHtml({ report, scalars, recipeYaml: 'x: 1\n' }));
  });
});

describe('scalars.jsonl and report.md', () => {
  it('round-trips scalars and names the unmet gate in markdown', () => {
    const scalars = scalarsFromStages(report.stages);
    expect(scalars.map((s) => `${s.step}:${s.tag}=${s.value}@${s.time}`)).toEqual(['1:trainLoss=1.2@1', '1:trainAccuracy=0.6@1', '2:trainLoss=0.7@2', '2:trainAccuracy=0.8@2']);
    expect(parseScalars(scalarsToJsonl(scalars))).toEqual(scalars);
    expect(() => parseScalars('{"stage":1}\n')).toThrow('scalars.jsonl:1');
    const md = renderMarkdown(report);
    expect(md).toContain('❌ accuracyDrop = 0.01 (max 0.005; baseline accuracy − final accuracy, baseline stage "baseline"): NOT met');
    expect(md).toContain('| sizeBytes | 1,000 | 300 | 0.300 |');
  });
});
