import { coord, escapeHtml } from '../report/escape.js';
import type { Metrics } from '../types/records.js';
import type { Objective, SweepSpec } from './spec.js';
import type { TrialResult } from './trial.js';

/** One trial as sweep.json lists it. */
export interface SweepTrial {
  index: number;
  /** The trial's run directory, relative to the sweep's. */
  dir: string;
  values: Record<string, unknown>;
  status: TrialResult['status'] | 'pending';
  exitCode?: number;
  /** Each stage's status in the trial's run (ran, cached, resumed). */
  stages?: Record<string, string>;
  metrics?: Metrics;
  error?: string;
}

/** sweep.json. */
export interface SweepReport {
  version: 1;
  recipe: string;
  objectives: string[];
  trials: SweepTrial[];
  /** Indices (into `trials`) of the Pareto front of the objectives, among finished trials. */
  pareto: number[];
}

/** sweep.json's content from the spec, the trials so far and the front. */
export function sweepReport(spec: SweepSpec, trials: SweepTrial[], pareto: number[]): SweepReport {
  return { version: 1, recipe: spec.recipe, objectives: spec.objectives.map((o) => `${o.metric}:${o.goal}`), trials, pareto };
}

const W = 640;
const H = 400;
const PAD = 56;

function fmt(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(4);
  return v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
}

/** The front as an SVG scatter: objective 1 (x) against objective 2 (y), or against the trial number. */
function frontChart(report: SweepReport, objectives: Objective[]): string {
  const [ox, oy] = objectives.length >= 2 ? [objectives[0]!, objectives[1]!] : [undefined, objectives[0]!];
  const done = report.trials.filter((t) => t.metrics && (!ox || typeof t.metrics[ox.metric] === 'number') && typeof t.metrics[oy.metric] === 'number');
  if (!done.length) return '<p>No finished trial has the objectives yet.</p>';
  const xOf = (t: SweepTrial) => (ox ? (t.metrics![ox.metric] as number) : t.index + 1);
  const yOf = (t: SweepTrial) => t.metrics![oy.metric] as number;
  const scale = (values: number[], lo: number, hi: number) => {
    const min = Math.min(...values);
    const max = Math.max(...values);
    const span = max - min || Math.abs(max) || 1;
    return (v: number) => lo + ((v - (min - span * 0.05)) / (span * 1.1)) * (hi - lo);
  };
  const sx = scale(done.map(xOf), PAD, W - 16);
  const sy = scale(done.map(yOf), H - PAD, 16);
  const front = new Set(report.pareto);
  const frontPoints = done.filter((t) => front.has(t.index)).sort((a, b) => xOf(a) - xOf(b));
  const dots = done.map((t) => `<circle cx="${coord(sx(xOf(t)))}" cy="${coord(sy(yOf(t)))}" r="${front.has(t.index) ? 6 : 4}" class="${front.has(t.index) ? 'front' : 'trial'}"><title>${escapeHtml(`${t.dir}: ${ox ? `${ox.metric} ${fmt(xOf(t))}, ` : ''}${oy.metric} ${fmt(yOf(t))}`)}</title></circle>`);
  const line = frontPoints.length > 1 ? `<polyline class="front" points="${frontPoints.map((t) => `${coord(sx(xOf(t)))},${coord(sy(yOf(t)))}`).join(' ')}"/>` : '';
  const xLabel = ox ? `${ox.metric} (${ox.goal})` : 'trial';
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="Pareto front">
<line x1="${PAD}" y1="${H - PAD}" x2="${W - 16}" y2="${H - PAD}" class="axis"/><line x1="${PAD}" y1="16" x2="${PAD}" y2="${H - PAD}" class="axis"/>
<text x="${W / 2}" y="${H - 16}" text-anchor="middle">${escapeHtml(xLabel)}</text>
<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">${escapeHtml(`${oy.metric} (${oy.goal})`)}</text>
${line}
${dots.join('\n')}
</svg>`;
}

/** sweep.html: the trials as a table (front rows marked) and the Pareto front as a chart; no script. */
export function renderSweepHtml(report: SweepReport, objectives: Objective[]): string {
  const paths = [...new Set(report.trials.flatMap((t) => Object.keys(t.values)))];
  const front = new Set(report.pareto);
  const head = ['#', 'trial', ...paths, 'status', ...objectives.map((o) => `${o.metric} (${o.goal})`), 'Pareto'];
  const rows = report.trials.map((t) => `<tr${front.has(t.index) ? ' class="front"' : ''}><td>${t.index + 1}</td><td><a href="${escapeHtml(t.dir)}/report.html">${escapeHtml(t.dir)}</a></td>${paths.map((p) => `<td>${escapeHtml(fmt(t.values[p]))}</td>`).join('')}<td>${escapeHtml(t.status)}</td>${objectives.map((o) => `<td>${escapeHtml(fmt(t.metrics?.[o.metric]))}</td>`).join('')}<td>${front.has(t.index) ? '★' : ''}</td></tr>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>condense sweep: ${escapeHtml(report.recipe)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:right}td:nth-child(2),th:nth-child(2){text-align:left}tr.front{background:#eef6ff}
svg .axis{stroke:#888}svg circle.trial{fill:#999}svg circle.front{fill:#1f6fd1}svg polyline.front{fill:none;stroke:#1f6fd1;stroke-width:1.5}svg text{font-size:12px;fill:#444}</style></head>
<body><h1>Sweep of ${escapeHtml(report.recipe)}</h1>
<p>${report.trials.length} trials; objectives ${escapeHtml(report.objectives.join(', '))}; Pareto front: ${report.pareto.map((i) => `#${i + 1}`).join(', ') || 'none yet'}.</p>
${frontChart(report, objectives)}
<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}
