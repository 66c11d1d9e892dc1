// The browser figures as tables (report.md and report.html share the rows): one row per backend
// of the final model, and latency per stage when several stages measured it.
import type { BrowserResult, Report } from '../types/records.js';
import { formatBytes } from './escape.js';

/** A table: a header row and body rows of plain-text cells; `numeric[j]` right-aligns column j. */
export interface TextTable {
  head: string[];
  rows: string[][];
  numeric: boolean[];
}

const ms = (v: number | undefined) => (v === undefined ? '–' : v < 10 ? v.toFixed(3) : v.toFixed(1));

/** Batch sizes measured on any backend, ascending. */
function batchesOf(browsers: BrowserResult[]): string[] {
  const all = browsers.flatMap((b) => Object.values(b.backends).flatMap((r) => (r.status === 'measured' ? Object.keys(r.latencyMs) : [])));
  return [...new Set(all)].sort((a, b) => Number(a) - Number(b));
}

/** One row per backend of `browser`: download, load, first call, median and p90 per batch, memory, agreement. */
export function browserBackendTable(browser: BrowserResult): TextTable {
  const batches = batchesOf([browser]);
  const head = ['backend', 'download', 'load ms', 'first ms', ...batches.map((b) => `median ms @${b}`), ...batches.map((b) => `p90 ms @${b}`), 'memory', 'agreement'];
  const rows = Object.entries(browser.backends).map(([name, r]) => {
    if (r.status === 'unavailable') return [name, `unavailable: ${r.reason}`, ...head.slice(2).map(() => '')];
    const software = r.details?.software === true ? ' (software)' : '';
    return [`${name}${software}`, `${formatBytes(r.transferBytes)} ${r.encoding}`, ms(r.loadMs), ms(r.firstMs),
      ...batches.map((b) => ms(r.latencyMs[b])), ...batches.map((b) => ms(r.p90Ms[b])), formatBytes(r.memoryBytes),
      r.agreement === undefined ? `max |Δ| ${r.maxAbsDiff.toPrecision(2)}` : `${(r.agreement * 100).toFixed(1)}% of ${r.examples}`];
  });
  return { head, rows, numeric: head.map((_, j) => j >= 2) };
}

/** Median latency per stage and backend at each batch size, for runs where several stages measured it; undefined otherwise. */
export function browserStageTable(report: Report): TextTable | undefined {
  const stages = report.stages.filter((s) => s.browser && !s.browser.skipped);
  if (stages.length < 2) return undefined;
  const browsers = stages.map((s) => s.browser!);
  const batches = batchesOf(browsers);
  const backends = [...new Set(browsers.flatMap((b) => Object.keys(b.backends)))];
  const head = ['stage', ...backends.flatMap((k) => batches.map((b) => `${k} ms @${b}`)), 'download'];
  const rows = stages.map((s) => {
    const measured = Object.values(s.browser!.backends).find((r) => r.status === 'measured');
    return [s.name, ...backends.flatMap((k) => batches.map((b) => {
      const r = s.browser!.backends[k];
      return r?.status === 'measured' ? ms(r.latencyMs[b]) : '–';
    })), measured?.status === 'measured' ? formatBytes(measured.transferBytes) : '–'];
  });
  return { head, rows, numeric: head.map((_, j) => j > 0) };
}

/** What to say under the backend table: the browser, that WebGL is software-rendered when it is, how figures are taken. */
export function browserNote(browser: BrowserResult): string {
  const software = Object.values(browser.backends).some((r) => r.status === 'measured' && r.details?.software === true);
  return `Measured in ${browser.engine ?? 'a browser'} over a loopback HTTP server. Download: model.json + weight files as received (compressed body bytes). `
    + 'Median and p90: one predict call with read-back, per batch size. Agreement: top-1 class the same as condense predicts in Node, on the test slice.'
    + (software ? ' WebGL ran on SwiftShader, software rendering on the CPU: a GPU would be much faster.' : '');
}
