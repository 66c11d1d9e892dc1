import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parse } from 'yaml';
import { browserFigures } from '../browser/gate-paths.js';
import { UsageError } from '../errors.js';
import { CSS } from './html.js';
import { escapeHtml as e, formatBytes } from './escape.js';
import { COLUMNS, describeIncomplete, formatDelta, formatMetric, gateSummary } from './format.js';
import type { Report } from './report.js';
import { normalizeReport } from './report.js';
import { scatterChart } from './svg.js';

/** A run directory as compare reads it: report.json and the resolved recipe. */
export interface RunInfo {
  dir: string;
  label: string;
  report: Report;
  recipe: unknown;
}

/** Runs side by side: what differs in their recipes and how their final metrics differ. */
export interface Comparison {
  /** `status`: complete, failed or interrupted; `gates` says which for a run that stopped (its final metrics are its last finished stage's). */
  runs: Array<{ label: string; dir: string; name: string; backend: string; seed: number; recipeHash: string; seconds: number; status: string; gates: string; gatesPassed: boolean }>;
  /** Recipe values (dotted paths, stages by name) that are not the same in every run; null: absent. */
  recipe: Array<{ path: string; values: unknown[] }>;
  /** Final metrics; deltas are each run minus the first. */
  metrics: Array<{ metric: string; values: Array<number | null>; deltas: Array<number | null> }>;
}

/** Reads a run directory's report.json and recipe.resolved.yaml; labels default to the directory name. */
export function loadRun(dir: string, label = basename(resolve(dir))): RunInfo {
  const read = (file: string) => {
    try {
      return readFileSync(resolve(dir, file), 'utf8');
    } catch {
      throw new UsageError(`${dir} has no readable ${file}`, { hint: 'give run directories written by condense run' });
    }
  };
  let report: Report;
  try {
    report = JSON.parse(read('report.json')) as Report;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${resolve(dir, 'report.json')} is not valid JSON: ${(err as Error).message}`, { hint: 'rerun condense run into that directory to rewrite it' });
  }
  return { dir, label, report, recipe: parse(read('recipe.resolved.yaml')) as unknown };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A recipe as dotted paths to leaf values, the way `--set` addresses them: `stages.prune.sparsity`.
 * Arrays of objects that all have a `name` are keyed by name; arrays of scalars are one value.
 */
export function flattenRecipe(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  const at = (key: string | number) => (prefix ? `${prefix}.${key}` : String(key));
  if (isObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0 && prefix) out.set(prefix, {});
    for (const [k, v] of entries) flattenRecipe(v, at(k), out);
  } else if (Array.isArray(value) && value.some((v) => isObject(v) || Array.isArray(v))) {
    const named = value.every((v) => isObject(v) && typeof v.name === 'string');
    value.forEach((v, i) => flattenRecipe(v, at(named ? (v as { name: string }).name : i), out));
  } else {
    out.set(prefix, value);
  }
  return out;
}

/** Paths whose values are not all equal, in first-seen order, with each run's value (null: absent). */
export function diffRecipes(recipes: unknown[]): Comparison['recipe'] {
  const flat = recipes.map((r) => flattenRecipe(r));
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))];
  return paths.flatMap((path) => {
    const values = flat.map((f) => (f.has(path) ? f.get(path) : null));
    const keys = values.map((v) => JSON.stringify(v));
    return keys.every((k) => k === keys[0]) ? [] : [{ path, values }];
  });
}

/** Compares runs: identity, recipe differences, final metrics (with accuracyDrop and sizeRatio, and browser figures where measured). */
export function compareRuns(runs: RunInfo[]): Comparison {
  const finals = runs.map(({ report }) => ({ ...report.final.metrics, ...normalizeReport(report).final.relative, ...browserFigures(report.final.browser) }));
  const keys = [...COLUMNS, 'accuracyDrop', 'sizeRatio', 'downloadRatio'];
  const extra = [...new Set(finals.flatMap((f) => Object.keys(f)))].filter((k) => !keys.includes(k)).sort();
  const metrics = [...keys, ...extra].filter((k) => finals.some((f) => f[k as keyof typeof f] !== undefined)).map((metric) => {
    const values = finals.map((f) => (f as Record<string, number>)[metric] ?? null);
    return { metric, values, deltas: values.map((v) => (v === null || values[0] === null ? null : v - values[0]!)) };
  });
  return {
    runs: runs.map(({ dir, label, report: r }) => ({
      label, dir, name: r.name, backend: r.backend, seed: r.seed, recipeHash: r.recipeHash, seconds: r.seconds, status: r.status ?? 'complete',
      ...(describeIncomplete(r)
        ? { gates: `not checked: run ${describeIncomplete(r)} (final = last finished stage)`, gatesPassed: false }
        : { gates: gateSummary(r.gates), gatesPassed: r.gates.every((g) => g.passed) }),
    })),
    recipe: diffRecipes(runs.map((r) => r.recipe)),
    metrics,
  };
}

/** A recipe value as a cell: scalars as written, others as JSON, absent as `–`. */
function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '–';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  return rows.map((r) => '  ' + r.map((c, j) => c.padEnd(widths[j]!)).join('  ').trimEnd()).join('\n');
}

/** The comparison as text for a terminal. */
export function renderCompareText(c: Comparison): string {
  const labels = c.runs.map((r) => r.label);
  const out = ['runs:', table(c.runs.map((r) => [r.label, r.dir, `${r.name} · ${r.backend} · seed ${r.seed} · ${r.seconds.toFixed(1)} s`, `gates: ${r.gates}`])), ''];
  out.push('recipe values that differ:');
  out.push(c.recipe.length ? table([['path', ...labels], ...c.recipe.map((d) => [d.path, ...d.values.map(formatValue)])]) : '  (none: the resolved recipes are the same)');
  out.push('', `final metrics (change vs ${labels[0]}):`);
  out.push(table([['metric', ...labels], ...c.metrics.map((m) => [m.metric, ...m.values.map((v, i) =>
    i === 0 || v === null ? formatMetric(m.metric, v) : `${formatMetric(m.metric, v)} (${formatDelta(m.metric, m.deltas[i] ?? undefined)})`)])]));
  return out.join('\n') + '\n';
}

/** The comparison as one self-contained HTML page, with accuracy against size of each run. */
export function renderCompareHtml(c: Comparison): string {
  const head = (cells: string[]) => `<tr>${cells.map((h, j) => `<th${j ? ' class="n"' : ''}>${e(h)}</th>`).join('')}</tr>`;
  const labels = c.runs.map((r) => r.label);
  const runs = c.runs.map((r) => `<tr><td>${e(r.label)}</td><td><code>${e(r.dir)}</code></td><td>${e(r.name)}</td><td>${e(r.backend)}</td><td class="n">${e(r.seed)}</td>` +
    `<td><code>${e(r.recipeHash.slice(0, 12))}</code></td><td class="n">${e(r.seconds.toFixed(1))}</td><td class="${r.gatesPassed ? 'met' : 'unmet'}">${e(r.gates)}</td></tr>`);
  const diffs = c.recipe.map((d) => `<tr><td><code>${e(d.path)}</code></td>${d.values.map((v) => `<td class="n">${e(formatValue(v))}</td>`).join('')}</tr>`);
  const metrics = c.metrics.map((m) => `<tr><td>${e(m.metric)}</td>${m.values.map((v, i) =>
    `<td class="n">${e(formatMetric(m.metric, v))}${i > 0 && v !== null ? ` <span class="note">(${e(formatDelta(m.metric, m.deltas[i] ?? undefined))})</span>` : ''}</td>`).join('')}</tr>`);
  const size = c.metrics.find((m) => m.metric === 'sizeBytes')?.values ?? [];
  const accuracy = c.metrics.find((m) => m.metric === 'accuracy')?.values ?? [];
  const points = c.runs.flatMap((r, i) => (size[i] != null && accuracy[i] != null ? [{ x: size[i]!, y: accuracy[i]!, label: r.label, color: i }] : []));
  return ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>condense compare: ${e(labels.join(' vs '))}</title><style>${CSS}</style></head><body><main>`,
    `<h1>condense compare: ${e(labels.join(' vs '))}</h1>`,
    `<section id="runs"><h2>Runs</h2><div class="wide"><table><thead>${head(['run', 'directory', 'recipe', 'backend', 'seed', 'recipe hash', 'seconds', 'gates'])}</thead><tbody>${runs.join('')}</tbody></table></div></section>`,
    `<section id="recipe-diff"><h2>Recipe values that differ</h2>${diffs.length
      ? `<table><thead>${head(['path', ...labels])}</thead><tbody>${diffs.join('')}</tbody></table>`
      : '<p class="note">None: the resolved recipes are the same.</p>'}</section>`,
    `<section id="metrics"><h2>Final metrics</h2><table><thead>${head(['metric', ...labels])}</thead><tbody>${metrics.join('')}</tbody></table>` +
      `<p class="note">In brackets: the change from ${e(labels[0])}.</p></section>`,
    `<section id="accuracy-size"><h2>Accuracy vs size</h2>${scatterChart(points, {
      title: 'Final accuracy vs exported size, per run', xLabel: 'sizeBytes (as exported)', yLabel: 'accuracy',
      x: { unit: 'bytes', zero: true }, y: { unit: 'percent', clamp: [0, 1] }, formatX: formatBytes, formatY: (v) => `${Math.round(v * 10000) / 100}%`,
    })}</section>`,
    '</main></body></html>', ''].join('\n');
}
