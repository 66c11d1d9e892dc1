import type { Report } from './report.js';
import { browserBackendTable, browserNote, browserStageTable, type TextTable } from './browser-table.js';
import { describeGate } from './gates.js';
import { teacherAndStudent, teacherStudentNote, teacherStudentTable } from './distillation.js';
import { sensitivityNote, sensitivityStages, sensitivityTable } from './sensitivity.js';
import { COLUMNS, baselineLabel, describeAccuracyChange, describeDownload, describeStored, describeIncomplete, describeSizeChange, formatMetric, formatRatio, gateSummary } from './format.js';

export { formatMetric } from './format.js';

/** A table cell: pipes and line breaks would break the row. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** report.md: the answer (baseline vs final), the gates and the stage table, for a pull request. */
export function renderMarkdown(report: Report): string {
  const { baseline } = report;
  const first = baseline?.metrics ?? {};
  const final = report.final.metrics;
  const incomplete = describeIncomplete(report);
  const lines = [`# condense run: ${cell(report.name)}`, '',
    `Backend: ${report.backend} ${report.backendVersion} · seed ${report.seed} · ${report.seconds.toFixed(1)} s · ${incomplete ? `run ${incomplete}` : `gates: ${gateSummary(report.gates)}`}`, ''];
  if (incomplete) {
    const notRun = report.failure?.notRun ?? [];
    lines.push(`> **This run ${incomplete}**: ${cell(report.failure?.message ?? 'no reason recorded')}`,
      `> ${report.stages.length} stage(s) finished${notRun.length ? `; not finished: ${notRun.join(', ')}` : ''}. No final model was written: "last finished" is the last stage that finished; gates were not checked.`, '');
  }
  lines.push('## Result', '', `| metric | ${cell(baselineLabel(baseline?.stage))} | ${incomplete ? 'last finished' : 'final'} | final ÷ baseline |`, '|---|---:|---:|---:|');
  for (const key of COLUMNS) {
    if (final[key] === undefined) continue;
    lines.push(`| ${key} | ${formatMetric(key, first[key])} | ${formatMetric(key, final[key])} | ${formatRatio(first[key], final[key])} |`);
  }
  const relative = report.final.relative ?? {};
  const download = describeDownload(final, first.sizeBytes);
  const size = download ?? (relative.sizeRatio !== undefined ? describeSizeChange(relative.sizeRatio) : '');
  const summary = [size, relative.accuracyDrop !== undefined ? `accuracy ${describeAccuracyChange(relative.accuracyDrop)}` : ''].filter(Boolean);
  if (summary.length) lines.push('', `vs ${cell(baseline?.stage ?? 'the first stage')}: **${summary.join('; ')}**${download && relative.sizeRatio !== undefined ? ` (${describeStored(relative.sizeRatio)})` : ''}.`);
  if (report.baseline) lines.push('', `Baseline sizes are of the ${cell(report.baseline.stage)} model exported as float32; every ratio is against the baseline (final ÷ baseline of the same metric; the download and stored size against its float32 sizeBytes).`);
  lines.push('', '## Stages', '', '| # | stage | type | status | seconds | accuracy | sparsity | sizeBytes |', '|---:|---|---|---|---:|---:|---:|---:|');
  report.stages.forEach((s, i) => {
    const size = s.exported?.sizeBytes ?? s.metrics.sizeBytes;
    lines.push(`| ${i + 1} | ${cell(s.name)} | ${s.type} | ${s.status} | ${s.seconds.toFixed(1)} | ${formatMetric('accuracy', s.metrics.accuracy)} | ${formatMetric('sparsity', s.metrics.sparsity)} | ${formatMetric('sizeBytes', size)} |`);
  });
  const pair = teacherAndStudent(report);
  if (pair) lines.push('', '## Teacher and student', '', ...markdownTable(teacherStudentTable(pair)), '', teacherStudentNote(pair));
  lines.push(...browserLines(report));
  for (const { name, sensitivity } of sensitivityStages(report)) {
    lines.push('', `## Sensitivity: ${cell(name)}`, '', ...markdownTable(sensitivityTable(sensitivity)), '', sensitivityNote(sensitivity));
  }
  lines.push('', '## Gates', '');
  if (incomplete) lines.push('Not checked: the run did not finish.');
  else if (report.gates.length === 0) lines.push('No gates in the recipe.');
  for (const g of report.gates) lines.push(`- ${g.passed ? '✅' : '❌'} ${cell(describeGate(g))}`);
  if (report.warnings?.length) lines.push('', '## Warnings', '', ...report.warnings.map((w) => `- ⚠️ ${cell(w)}`));
  return lines.join('\n') + '\n';
}

/** A {@link TextTable} as markdown lines. */
function markdownTable(t: TextTable): string[] {
  return [`| ${t.head.map(cell).join(' | ')} |`, `|${t.numeric.map((n) => (n ? '---:' : '---')).join('|')}|`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

/** The browser section: the final model per backend, and latency per stage when several stages measured it. */
function browserLines(report: Report): string[] {
  const { browser } = report.final;
  const byStage = browserStageTable(report);
  if (!browser && !byStage) return [];
  const lines = ['', '## In the browser', ''];
  if (browser) lines.push(...markdownTable(browserBackendTable(browser)), '', browserNote(browser));
  if (byStage) lines.push('', 'Median latency per stage:', '', ...markdownTable(byStage));
  return lines;
}
