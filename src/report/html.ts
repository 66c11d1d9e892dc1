import { browserBackendTable, browserNote, browserStageTable, type TextTable } from './browser-table.js';
import { describeGate } from './gates.js';
import { accuracySizeChart, sizeChart, trainingCharts } from './charts.js';
import { escapeHtml as e, formatBytes } from './escape.js';
import { COLUMNS, baselineLabel, formatDelta, formatMetric, formatRatio, gateSummary } from './format.js';
import type { LayerStats, WeightStats } from '../types/records.js';
import type { Report } from './report.js';
import type { Scalar } from './scalars.js';

/** Section ids of report.html, in order (tests check each is there). */
export const HTML_SECTIONS = ['answer', 'gates', 'stages', 'curves', 'layers', 'sizes', 'accuracy-size', 'recipe'];

/** Inline styles: system fonts only, nothing fetched. */
export const CSS = `
:root{color-scheme:light;--fg:#1d232a;--muted:#5b6570;--line:#d9dee3;--bad:#b3261e;--good:#1e7b34}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);margin:0;background:#f6f7f9}
main{max-width:1120px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta{color:var(--muted);margin:0 0 12px}
.badge{display:inline-block;padding:3px 10px;border-radius:12px;font-weight:600;font-size:.9em}
.badge.good{background:#e3f4e7;color:var(--good)}.badge.bad{background:#fbe4e2;color:var(--bad)}.badge.none{background:#eceff2;color:var(--muted)}
table{border-collapse:collapse;margin:6px 0;font-variant-numeric:tabular-nums}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}td.n,th.n{text-align:right}
tbody tr:nth-child(even){background:#fafbfc}
.big{font-size:1.05em}.note{color:var(--muted);font-size:.9em}
ul.gates{list-style:none;padding:0}ul.gates li{margin:4px 0}
.met{color:var(--good);font-weight:600}.unmet{color:var(--bad);font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:12px}.wide{overflow-x:auto}
svg.chart{border:1px solid var(--line);border-radius:4px;max-width:100%;height:auto}
svg .chart-title{font:600 14px system-ui,sans-serif;fill:#1d232a}svg .tick,svg .legend{font:11px system-ui,sans-serif;fill:#444}
svg .axis{font:12px system-ui,sans-serif;fill:#444}svg .label{font:12px system-ui,sans-serif;fill:#1d232a}
pre{background:#f4f5f7;padding:12px;overflow:auto;font-size:13px}code{font-family:ui-monospace,Menlo,Consolas,monospace}
`;

/** What report.html is rendered from: report.json, scalars.jsonl and recipe.resolved.yaml. */
export interface HtmlInputs {
  report: Report;
  scalars: Scalar[];
  recipeYaml?: string;
}

/** report.html: one self-contained page (inline CSS and SVG, no scripts, nothing fetched). */
export function renderHtml({ report, scalars, recipeYaml }: HtmlInputs): string {
  const failed = report.gates.filter((g) => !g.passed);
  const badge = report.gates.length === 0 ? 'none' : failed.length ? 'bad' : 'good';
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>condense run: ${e(report.name)}</title>`,
    `<style>${CSS}</style></head><body><main>`,
    `<h1>condense run: ${e(report.name)}</h1>`,
    `<p class="meta">backend ${e(report.backend)} ${e(report.backendVersion)} · seed ${e(report.seed)} · ${e(report.seconds.toFixed(1))} s · recipe <code>${e(report.recipeHash.slice(0, 12))}</code></p>`,
    `<p><span class="badge ${badge}">gates: ${e(gateSummary(report.gates))}</span></p>`,
    answerSection(report),
    gatesSection(report),
    stagesSection(report),
    browserSection(report),
    section('curves', 'Training curves', `<p class="note">Mean training loss and accuracy of each epoch of every training stage (from scalars.jsonl).</p><div class="charts">${trainingCharts(report, scalars).join('')}</div>`),
    layersSection(report.final.layers),
    section('sizes', 'Size across stages', `<p class="note">Each stage's model as it would be exported at that point (model.json + weights, quantization applied once chosen); gzip is per file, level 6.</p>${sizeChart(report)}`),
    section('accuracy-size', 'Accuracy vs size', accuracySizeChart(report)),
    section('recipe', 'Recipe', recipeYaml === undefined
      ? '<p class="note">recipe.resolved.yaml is missing from the run directory.</p>'
      : `<details><summary>recipe.resolved.yaml (vars, --set and defaults applied)</summary><pre><code>${e(recipeYaml)}</code></pre></details>`),
    '</main></body></html>',
    '',
  ].join('\n');
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${e(title)}</h2>${body}</section>`;
}

function answerSection(report: Report): string {
  const { baseline } = report;
  const first = baseline?.metrics ?? {};
  const final = report.final.metrics;
  const rows = COLUMNS.filter((k) => final[k] !== undefined || first[k] !== undefined).map((k) => {
    const delta = first[k] !== undefined && final[k] !== undefined ? final[k]! - first[k]! : undefined;
    return `<tr><th>${k}</th><td class="n">${formatMetric(k, first[k])}</td><td class="n">${formatMetric(k, final[k])}</td><td class="n">${formatRatio(first[k], final[k])}</td><td class="n">${formatDelta(k, delta)}</td></tr>`;
  });
  const rel = report.final.relative ?? {};
  const sizeRatio = rel.sizeRatio !== undefined ? `<strong>${(1 / rel.sizeRatio).toFixed(1)}× smaller</strong> (sizeRatio ${formatMetric('sizeRatio', rel.sizeRatio)})` : 'size not compared';
  const drop = rel.accuracyDrop !== undefined ? `accuracy ${rel.accuracyDrop > 0 ? 'lost' : 'gained'}: <strong>${(Math.abs(rel.accuracyDrop) * 100).toFixed(2)} points</strong> (accuracyDrop ${formatMetric('accuracyDrop', rel.accuracyDrop)})` : 'accuracy not compared';
  const name = e(baseline?.stage ?? 'first stage');
  return section('answer', 'The answer', `<p class="big">Final model vs <em>${name}</em>: ${sizeRatio}; ${drop}.</p>` +
    `<table><thead><tr><th>metric</th><th class="n">${e(baselineLabel(baseline?.stage))}</th><th class="n">final</th><th class="n">ratio</th><th class="n">change</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    (report.baseline ? `<p class="note">Baseline sizes are those of the ${name} model exported as float32 (model.json + unquantized weights).</p>` : ''));
}

function gatesSection(report: Report): string {
  if (report.gates.length === 0) return section('gates', 'Gates', '<p class="note">No gates in the recipe.</p>');
  const items = report.gates.map((g) => `<li><span class="${g.passed ? 'met' : 'unmet'}">${g.passed ? '✔ met' : '✘ NOT met'}</span> ${e(describeGate(g))}</li>`);
  return section('gates', 'Gates', `<ul class="gates">${items.join('')}</ul>`);
}

const STAGE_COLUMNS: Array<[string, string]> = [['accuracy', 'accuracy'], ['loss', 'loss'], ['params', 'params'], ['nonzeroParams', 'nonzero'], ['sparsity', 'sparsity']];

function stagesSection(report: Report): string {
  const head = ['#', 'stage', 'type', 'status', 'seconds', ...STAGE_COLUMNS.map(([, h]) => h), 'size', 'gzip', 'latency ms'];
  const rows = report.stages.map((s, i) => {
    const size = s.exported ?? { sizeBytes: s.metrics.sizeBytes, gzipBytes: s.metrics.gzipBytes };
    const cells = [String(i + 1), e(s.name), e(s.type), e(s.status), s.seconds.toFixed(1),
      ...STAGE_COLUMNS.map(([k]) => formatMetric(k, s.metrics[k])), formatMetric('sizeBytes', size.sizeBytes), formatMetric('gzipBytes', size.gzipBytes),
      formatMetric('latencyMs', s.metrics.latencyMs)];
    return `<tr>${cells.map((c, j) => `<td${j === 0 || j >= 4 ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`;
  });
  return section('stages', 'Stages', `<div class="wide"><table><thead><tr>${head.map((h, j) => `<th${j === 0 || j >= 4 ? ' class="n"' : ''}>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>` +
    '<p class="note">Held-out accuracy and loss as each stage measured them. Size and gzip: the stage\'s model as it would be exported then (bytes), measured by the stage or from its checkpoint at the end of the run.</p>');
}

/** A {@link TextTable} as an HTML table. */
function htmlTable(t: TextTable): string {
  const cls = (j: number) => (t.numeric[j] ? ' class="n"' : '');
  return `<div class="wide"><table><thead><tr>${t.head.map((h, j) => `<th${cls(j)}>${e(h)}</th>`).join('')}</tr></thead>`
    + `<tbody>${t.rows.map((r) => `<tr>${r.map((c, j) => `<td${cls(j)}>${e(c)}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`;
}

/** The final model in the browser per backend, latency per stage, and the run's warnings; empty when nothing was measured in a browser. */
function browserSection(report: Report): string {
  const { browser } = report.final;
  const byStage = browserStageTable(report);
  const warnings = report.warnings?.length ? `<ul class="gates">${report.warnings.map((w) => `<li><span class="unmet">⚠</span> ${e(w)}</li>`).join('')}</ul>` : '';
  if (!browser && !byStage && !warnings) return '';
  return section('browser', 'In the browser', (browser ? htmlTable(browserBackendTable(browser)) + `<p class="note">${e(browserNote(browser))}</p>` : '')
    + (byStage ? `<h3>Median latency per stage</h3>${htmlTable(byStage)}` : '') + warnings);
}

function layersSection(layers: LayerStats[] | undefined): string {
  if (!layers) return section('layers', 'Layers of the final model', '<p class="note">This report predates per-layer statistics.</p>');
  const rows = layers.flatMap((l) => l.weights.map((w) => {
    const q = w.quantization;
    const dtype = q ? `${w.dtype}${q.scale !== undefined ? ` (scale ${Number(q.scale.toPrecision(4))}, min ${Number((q.min ?? 0).toPrecision(4))})` : ''}` : w.dtype;
    return `<tr><td>${e(l.name)}</td><td>${e(l.className)}</td><td>${e(w.key.slice(l.name.length + 1))}</td><td>[${e(w.shape.join(', '))}]</td>` +
      `<td class="n">${formatMetric('params', w.params)}</td><td class="n">${formatMetric('params', w.nonzeroParams)}</td><td class="n">${formatMetric('sparsity', w.sparsity)}</td>` +
      `<td>${e(dtype)}</td><td class="n">${quantizationErrorCell(w.quantizationError)}</td><td class="n">${formatMetric('sizeBytes', w.bytes)}</td></tr>`;
  }));
  const total = layers.flatMap((l) => l.weights);
  const sum = (f: (w: (typeof total)[number]) => number) => total.reduce((n, w) => n + f(w), 0);
  rows.push(`<tr><th colspan="4">total</th><th class="n">${formatMetric('params', sum((w) => w.params))}</th><th class="n">${formatMetric('params', sum((w) => w.nonzeroParams))}</th><th></th><th></th><th></th><th class="n">${formatMetric('sizeBytes', sum((w) => w.bytes))} (${formatBytes(sum((w) => w.bytes))})</th></tr>`);
  return section('layers', 'Layers of the final model', '<table><thead><tr><th>layer</th><th>class</th><th>weight</th><th>shape</th><th class="n">params</th><th class="n">nonzero</th><th class="n">sparsity</th><th>stored as</th><th class="n">quantization error</th><th class="n">bytes</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table><p class="note">Bytes are those of each weight in the weight files; model.json adds the rest of sizeBytes. ` +
    'Quantization error: RMS error relative to the weight\'s RMS; “larger” marks a weight whose manifest entry outweighs the bytes quantizing it saved.</p>');
}

function quantizationErrorCell(q: WeightStats['quantizationError']): string {
  if (!q) return '';
  return `${(q.relative * 100).toFixed(2)}%${q.larger ? ' <strong>larger</strong>' : ''}`;
}
