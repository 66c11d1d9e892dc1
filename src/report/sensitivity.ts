// A sensitivity stage's scan in the reports: accuracy lost per layer at each level (a chart in
// report.html) and the table of drops with the proposed level (report.md and report.html).
import type { Report, SensitivityResult } from '../types/records.js';
import type { TextTable } from './browser-table.js';
import { lineChart } from './svg.js';

const points = (v: number) => `${(v * 100).toFixed(2)}`;
const percent = (v: number) => `${(v * 100).toFixed(1)}%`;

/** The stages of a report that recorded a sensitivity scan, with it. */
export function sensitivityStages(report: Report): Array<{ name: string; sensitivity: SensitivityResult }> {
  return report.stages.flatMap((s) => (s.sensitivity ? [{ name: s.name, sensitivity: s.sensitivity }] : []));
}

/** One row per layer: its weights, the accuracy points lost at each level, and the proposed sparsity. */
export function sensitivityTable(s: SensitivityResult): TextTable {
  return {
    head: ['layer', 'weights', ...s.levels.map((l) => `drop @ ${percent(l)}`), 'proposed'],
    rows: s.layers.map((layer) => [layer.name, String(layer.params), ...layer.drops.map(points), percent(s.proposal[layer.name] ?? 0)]),
    numeric: [false, true, ...s.levels.map(() => true), true],
  };
}

/** One sentence on what was measured and what the proposal meets. */
export function sensitivityNote(s: SensitivityResult): string {
  const target = 'sparsity' in s.target ? `overall sparsity ≥ ${percent(s.target.sparsity)}` : `at most ${points(s.target.maxDrop)} points lost per layer`;
  return `Each layer pruned alone (magnitude), accuracy lost in percentage points on ${s.examples} examples of the training split (accuracy unchanged: ${percent(s.accuracy)}); the test split is not read. `
    + `Proposed for ${target}: ${percent(s.sparsity)} of the scanned weights, each layer within ${points(s.tolerance)} points.`;
}

/** Accuracy lost against sparsity, one line per layer. */
export function sensitivityChart(name: string, s: SensitivityResult): string {
  const series = s.layers.map((layer) => ({ name: layer.name, points: layer.drops.map((d, i) => ({ x: s.levels[i]!, y: d * 100 })) }));
  return lineChart(series, {
    title: `Sensitivity (${name}): accuracy lost with each layer pruned alone`, xLabel: 'sparsity of the layer', yLabel: 'accuracy lost (points)',
    formatX: percent, formatY: (y) => y.toFixed(2),
  });
}
