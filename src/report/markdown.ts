import type { Report } from './report.js';
import { describeGate } from '../runner/gates.js';

const COLUMNS = ['accuracy', 'loss', 'params', 'nonzeroParams', 'sparsity', 'sizeBytes', 'gzipBytes', 'latencyMs'];

/** A metric value as people read it: ratios to 4 places, bytes and counts as integers. */
export function formatMetric(key: string, value: number | undefined): string {
  if (value === undefined) return '–';
  if (key === 'accuracy' || key === 'sparsity' || key === 'loss') return value.toFixed(4);
  if (key === 'latencyMs') return value.toFixed(3);
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(4);
}

/** report.md: the answer (first measured vs final), the stage table and the gates, for a pull request. */
export function renderMarkdown(report: Report): string {
  const first = report.stages[0]?.metrics ?? {};
  const final = report.final.metrics;
  const lines = [`# condense run: ${report.name}`, '', `Backend: ${report.backend} ${report.backendVersion} · seed ${report.seed} · ${report.seconds.toFixed(1)} s`, ''];
  lines.push('## Result', '', `| metric | after ${report.stages[0]?.name ?? 'first stage'} | final | ratio |`, '|---|---:|---:|---:|');
  for (const key of COLUMNS) {
    if (final[key] === undefined) continue;
    const base = first[key];
    const ratio = base ? (final[key]! / base).toFixed(3) : '–';
    lines.push(`| ${key} | ${formatMetric(key, base)} | ${formatMetric(key, final[key])} | ${ratio} |`);
  }
  lines.push('', '## Stages', '', '| # | stage | type | status | seconds | accuracy | sparsity | sizeBytes |', '|---:|---|---|---|---:|---:|---:|---:|');
  report.stages.forEach((s, i) => {
    lines.push(`| ${i + 1} | ${s.name} | ${s.type} | ${s.status} | ${s.seconds.toFixed(1)} | ${formatMetric('accuracy', s.metrics.accuracy)} | ${formatMetric('sparsity', s.metrics.sparsity)} | ${formatMetric('sizeBytes', s.metrics.sizeBytes)} |`);
  });
  if (report.gates.length) {
    lines.push('', '## Gates', '');
    for (const g of report.gates) lines.push(`- ${g.passed ? '✅' : '❌'} ${describeGate(g)}`);
  }
  return lines.join('\n') + '\n';
}
