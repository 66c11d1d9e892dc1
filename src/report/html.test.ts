import { describe, expect, it } from 'vitest';
import { escapeHtml as e } from './escape.js';
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

/** The inside of `<section id="…">`. */
function sectionOf(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  expect(start, `section ${id}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
}

/** The cells of every table row in `html`, header rows included. */
function tableRows(html: string): string[][] {
  return [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/g)].map((c) => c[1]!));
}

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
    expect(html).toContain('title="dense1/kernel: uint8, scale 0.01, min -1">uint8</td>');
    expect(html).toContain('<title>baseline epoch 2: 2, 0.7</title>');
    expect(html).toContain('3.3× smaller');
  });

  it('the answer and stage tables carry each stage\'s name and metric values', () => {
    expect(tableRows(sectionOf(html, 'answer'))).toEqual([
      ['metric', 'baseline', 'final', 'final ÷ baseline', 'change'],
      ['accuracy', '0.9000', '0.8900', '0.989', '−0.0100'],
      ['params', '100', '100', '1.000', '0'],
      ['sizeBytes', '1,000', '300', '0.300', '−700'],
      ['gzipBytes', '900', '200', '0.222', '−700'],
    ]);
    expect(tableRows(sectionOf(html, 'stages')).slice(1)).toEqual([
      ['1', 'baseline', 'train', 'ran', '2.0', '0.9000', '–', '100', '–', '–', '1,000', '900', '–'],
      ['2', e(hostile), 'quantize', 'cached', '0.1', '0.8900', '–', '100', '–', '–', '300', '200', '–'],
    ]);
  });

  it('draws the charts as inline SVG: curves per tag, a bar per stage and size, a point per stage', () => {
    const titles = (id: string) => [...sectionOf(html, id).matchAll(/<title>(.*?)<\/title>/g)].map((m) => m[1]);
    expect(sectionOf(html, 'curves').match(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="chart"/g)).toHaveLength(2);
    expect(titles('curves')).toEqual(['Training loss per epoch', 'baseline epoch 1: 1, 1.2', 'baseline epoch 2: 2, 0.7',
      'Training accuracy per epoch', 'baseline epoch 1: 1, 60%', 'baseline epoch 2: 2, 80%']);
    expect(titles('sizes')).toEqual(['Model size after each stage (as exported)', 'baseline sizeBytes: 1000 B', 'baseline gzipBytes: 900 B',
      `${e(hostile)} sizeBytes: 300 B`, `${e(hostile)} gzipBytes: 200 B`]);
    expect(titles('accuracy-size')).toEqual(['Accuracy vs size (held-out accuracy, exported bytes)', 'baseline: 1000 B, accuracy 0.9000',
      `${e(hostile)}: 300 B, accuracy 0.8900`]);
  });

  it('references nothing outside the page: no scripts, links, images, imports or URLs, and a CSP that forbids them', () => {
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    const tags = html.match(/<[^>]*>/g)!;
    expect(tags.length).toBeGreaterThan(100);
    expect(tags.filter((t) => /^<(script|link|img|iframe|object|embed|image|use|base)\b/i.test(t) || /\s(src|href|xlink:href|action)=/i.test(t))).toEqual([]);
    expect(html).not.toMatch(/@import|url\(/i);
    // The only URL is the SVG namespace (an identifier, never fetched).
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/[a-z]+:\/\//i);
  });

  it('renders the same bytes twice and from a copy of its inputs, and other bytes for other numbers', () => {
    const inputs = { report, scalars, recipeYaml: 'x: 1\n' };
    const once = renderHtml(inputs);
    expect(renderHtml(inputs)).toBe(once);
    expect(renderHtml(structuredClone(inputs))).toBe(once);
    expect(once).toContain('<pre><code>x: 1\n</code></pre>');
    const changed = structuredClone(report);
    changed.stages[0]!.metrics.accuracy = 0.95;
    expect(renderHtml({ ...inputs, report: changed })).not.toBe(once);
  });
});

describe('the answer in words', () => {
  const gained = structuredClone(report);
  gained.final.metrics.accuracy = 0.9045;
  gained.final.relative = { accuracyDrop: -0.0045, sizeRatio: 0.3 };

  it('a negative accuracyDrop is a gain, said once, with both accuracies', () => {
    const answer = sectionOf(renderHtml({ report: gained, scalars: [] }), 'answer');
    const sentence = answer.slice(0, answer.indexOf('<table>'));
    expect(sentence).toContain('accuracy <strong>gained 0.45 points</strong> (90.00% → 90.45%)');
    expect(sentence).not.toMatch(/accuracyDrop|lost|−0\.0045|-0\.0045/);
    expect(sentence.match(/0\.45/g)).toHaveLength(2);
    const md = renderMarkdown(gained);
    expect(md).toContain('accuracy gained 0.45 points');
    expect(md).not.toContain('| accuracyDrop |');
  });

  it('a positive drop is a loss', () => {
    expect(sectionOf(html(report), 'answer')).toContain('accuracy <strong>lost 1.00 points</strong> (90.00% → 89.00%)');
  });

  function html(r: Report) {
    return renderHtml({ report: r, scalars: [] });
  }
});

describe('a run that stopped', () => {
  const failed: Report = {
    ...structuredClone(report), status: 'failed', gates: [],
    failure: { stage: 'broken', message: 'stage "broken" failed: boom', notRun: ['broken', 'final'] },
    final: { metrics: { accuracy: 0.89, params: 100, sizeBytes: 300, gzipBytes: 200 }, relative: { accuracyDrop: 0.01, sizeRatio: 0.3 } },
  };

  it('report.html says so first, names the stage and what did not run, and claims no gate or final model', () => {
    const page = renderHtml({ report: failed, scalars: [] });
    expect(page).toContain('<span class="badge bad">run FAILED at stage &quot;broken&quot;</span>');
    expect(page.indexOf('id="status"')).toBeLessThan(page.indexOf('<section id="answer">'));
    expect(page).toContain('not finished: broken, final');
    expect(sectionOf(page, 'gates')).toContain('Not checked: the run did not finish.');
    expect(sectionOf(page, 'layers')).toContain('No final model');
    expect(sectionOf(page, 'answer')).toContain('<th class="n">last finished</th>');
  });

  it('report.md too, and an interrupted run is called interrupted', () => {
    const md = renderMarkdown(failed);
    expect(md).toContain('run FAILED at stage "broken"');
    expect(md).toContain('Not checked: the run did not finish.');
    expect(md).not.toContain('No gates in the recipe');
    expect(renderMarkdown({ ...failed, status: 'interrupted' })).toContain('run INTERRUPTED during stage "broken"');
    expect(renderMarkdown(report)).not.toMatch(/FAILED|INTERRUPTED/);
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
