import { browserBackendTable, browserNote, browserStageTable, type TextTable } from './browser-table.js';
import { teacherAndStudent, teacherStudentNote, teacherStudentTable } from './distillation.js';
import { describeGate } from './gates.js';
import { accuracySizeChart, sizeChart, trainingCharts } from './charts.js';
import { escapeHtml as e } from './escape.js';
import { COLUMNS, baselineLabel, describeAccuracyChange, describeDownload, describeStored, describeIncomplete, describeSizeChange, formatDelta, formatMetric, formatPercent, formatRatio, gateSummary } from './format.js';
import { layerTable } from './layer-table.js';
import { sensitivityChart, sensitivityNote, sensitivityStages, sensitivityTable } from './sensitivity.js';
import type { LayerStats } from '../types/records.js';
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
.charts{display:flex;flex-direction:column;gap:12px}.wide{overflow-x:auto}
svg.chart{display:block;border:1px solid var(--line);border-radius:4px;width:100%;height:auto}
.status{border-left:4px solid var(--bad);background:#fbe4e2;padding:8px 12px;margin:8px 0}
details.more-layers{margin:6px 0}details.more-layers summary{cursor:pointer;color:var(--muted)}
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
  const incomplete = describeIncomplete(report);
  const badge = incomplete || failed.length ? 'bad' : report.gates.length === 0 ? 'none' : 'good';
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>condense run: ${e(report.name)}</title>`,
    `<style>${CSS}</style></head><body><main>`,
    `<h1>condense run: ${e(report.name)}</h1>`,
    `<p class="meta">backend ${e(report.backend)} ${e(report.backendVersion)} · seed ${e(report.seed)} · ${e(report.seconds.toFixed(1))} s · recipe <code>${e(report.recipeHash.slice(0, 12))}</code></p>`,
    `<p><span class="badge ${badge}">${incomplete ? `run ${e(incomplete)}` : `gates: ${e(gateSummary(report.gates))}`}</span></p>`,
    statusBanner(report),
    answerSection(report),
    gatesSection(report),
    stagesSection(report),
    teacherStudentSection(report),
    browserSection(report),
    sensitivitySection(report),
    section('curves', 'Training curves', `<p class="note">Mean training loss and accuracy of each epoch of every training stage (from scalars.jsonl).</p><div class="charts">${trainingCharts(report, scalars).join('')}</div>`),
    layersSection(report),
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

/** For a run that stopped: what happened, and what the page shows instead of a final model. */
function statusBanner(report: Report): string {
  const incomplete = describeIncomplete(report);
  if (!incomplete) return '';
  const notRun = report.failure?.notRun ?? [];
  const last = report.stages.at(-1)?.name;
  return `<div class="status" id="status"><p><strong>This run ${e(incomplete)}</strong>: ${e(report.failure?.message ?? 'no reason recorded')}</p>` +
    `<p>${report.stages.length} stage${report.stages.length === 1 ? '' : 's'} finished${notRun.length ? `; not finished: ${e(notRun.join(', '))}` : ''}. ` +
    `No final model was written: “final” below is ${last ? `the last finished stage, <em>${e(last)}</em>` : 'empty'}, and the gates were not checked.</p></div>`;
}

function answerSection(report: Report): string {
  const { baseline } = report;
  const first = baseline?.metrics ?? {};
  const final = report.final.metrics;
  const incomplete = describeIncomplete(report) !== undefined;
  const rows = COLUMNS.filter((k) => final[k] !== undefined || first[k] !== undefined).map((k) => {
    const delta = first[k] !== undefined && final[k] !== undefined ? final[k]! - first[k]! : undefined;
    return `<tr><th>${k}</th><td class="n">${formatMetric(k, first[k])}</td><td class="n">${formatMetric(k, final[k])}</td><td class="n">${formatRatio(first[k], final[k])}</td><td class="n">${formatDelta(k, delta)}</td></tr>`;
  });
  const rel = report.final.relative ?? {};
  const download = describeDownload(final, baseline?.metrics.sizeBytes);
  const stored = rel.sizeRatio !== undefined ? describeStored(rel.sizeRatio) : undefined;
  const size = download ? `<strong>${e(download)}</strong>${stored ? ` (${e(stored)})` : ''}`
    : rel.sizeRatio !== undefined ? `<strong>${e(describeSizeChange(rel.sizeRatio))}</strong>` : 'size not compared';
  const accuracy = rel.accuracyDrop !== undefined && first.accuracy !== undefined && final.accuracy !== undefined
    ? `accuracy <strong>${e(describeAccuracyChange(rel.accuracyDrop))}</strong> (${formatPercent(first.accuracy)} → ${formatPercent(final.accuracy)})`
    : 'accuracy not compared';
  const name = e(baseline?.stage ?? 'first stage');
  const subject = incomplete ? `The last finished stage (<em>${e(report.stages.at(-1)?.name ?? 'none')}</em>)` : 'Final model';
  return section('answer', 'The answer', `<p class="big">${subject} vs <em>${name}</em>: ${size}; ${accuracy}.</p>` +
    `<table><thead><tr><th>metric</th><th class="n">${e(baselineLabel(baseline?.stage))}</th><th class="n">${incomplete ? 'last finished' : 'final'}</th><th class="n">final ÷ baseline</th><th class="n">change</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    (report.baseline ? `<p class="note">Baseline sizes are those of the ${name} model exported as float32 (model.json + unquantized weights). Every ratio is against the baseline: final ÷ baseline of the same metric, and the headline's download (the smaller of brotliBytes and gzipBytes) and stored size against its float32 sizeBytes. Change: final − baseline; accuracy points are percentage points.</p>` : ''));
}

function gatesSection(report: Report): string {
  if (describeIncomplete(report)) return section('gates', 'Gates', '<p class="note">Not checked: the run did not finish.</p>');
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

/** Teacher and student side by side when the run distilled from one of its own stages; empty otherwise. */
function teacherStudentSection(report: Report): string {
  const pair = teacherAndStudent(report);
  return pair ? section('distillation', 'Teacher and student', htmlTable(teacherStudentTable(pair)) + `<p class="note">${e(teacherStudentNote(pair))}</p>`) : '';
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

/** Each sensitivity stage's scan: chart, table and what the proposal meets; empty without one. */
function sensitivitySection(report: Report): string {
  const scans = sensitivityStages(report);
  if (scans.length === 0) return '';
  return section('sensitivity', 'Sensitivity', scans.map(({ name, sensitivity }) =>
    `<h3>${e(name)}</h3>${sensitivityChart(name, sensitivity)}${htmlTable(sensitivityTable(sensitivity))}<p class="note">${e(sensitivityNote(sensitivity))}</p>`).join(''));
}

function layersSection(report: Report): string {
  const layers: LayerStats[] | undefined = report.final.layers;
  if (!layers) {
    const why = describeIncomplete(report) ? 'No final model: the run did not finish.' : 'This report predates per-layer statistics.';
    return section('layers', 'Layers of the final model', `<p class="note">${why}</p>`);
  }
  return section('layers', 'Layers of the final model', layerTable(layers) +
    '<p class="note">One row per layer with weights; hover “stored as” for each weight. Bytes are those of the weights in the weight files; model.json adds the rest of sizeBytes. ' +
    'Quantization error: RMS error relative to the weight\'s RMS, of the layer\'s worst weight; “larger” names weights whose manifest entry outweighs the bytes quantizing them saved; “kept float32” those the quantize stage left unquantized, and why.</p>');
}
