import { formatBytes } from './escape.js';
import type { Report } from './report.js';
import type { Scalar } from './scalars.js';
import { barChart, emptyChart, lineChart, scatterChart } from './svg.js';
import type { Series } from './svg.js';

const TAG_TITLES: Record<string, { title: string; yLabel: string }> = {
  trainLoss: { title: 'Training loss per epoch', yLabel: 'mean cross-entropy' },
  trainAccuracy: { title: 'Training accuracy per epoch', yLabel: 'accuracy (train)' },
  sparsity: { title: 'Sparsity enforced per epoch', yLabel: 'sparsity' },
};

const percent = (v: number) => `${Math.round(v * 1000) / 10}%`;

/**
 * One line chart per scalar tag (loss and accuracy first), x = epoch counted across the whole
 * run so the stages follow each other, one coloured series per stage.
 */
export function trainingCharts(report: Report, scalars: Scalar[]): string[] {
  if (scalars.length === 0) return [emptyChart('Training curves', 'no stage of this run trained (no per-epoch scalars)')];
  const offsets = new Map<string, number>();
  let offset = 0;
  for (const stage of report.stages) {
    offsets.set(stage.name, offset);
    const steps = scalars.filter((s) => s.stage === stage.name).map((s) => s.step);
    offset += steps.length ? Math.max(...steps) : 0;
  }
  const tags = [...new Set(scalars.map((s) => s.tag))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return tags.map((tag) => {
    const series: Series[] = report.stages.map((stage) => ({
      name: stage.name,
      points: scalars.filter((s) => s.stage === stage.name && s.tag === tag)
        .map((s) => ({ x: (offsets.get(stage.name) ?? 0) + s.step, y: s.value, label: `epoch ${s.step}` })),
    }));
    const known = TAG_TITLES[tag] ?? { title: `${tag} per epoch`, yLabel: tag };
    const ratio = tag !== 'trainLoss' && series.every((s) => s.points.every((p) => p.y >= 0 && p.y <= 1));
    return lineChart(series, { ...known, xLabel: 'epoch (across the run)', integerX: true, zeroY: tag === 'trainLoss' || tag === 'sparsity', ...(ratio ? { yMax: 1, formatY: percent } : {}) });
  });
}

function rank(tag: string): number {
  const i = Object.keys(TAG_TITLES).indexOf(tag);
  return i < 0 ? 99 : i;
}

/** A stage's model size as exported at that point: measured at the end of the run, or by the stage. */
function stageSize(stage: Report['stages'][number]): { sizeBytes?: number; gzipBytes?: number } {
  return stage.exported ?? { sizeBytes: stage.metrics.sizeBytes, gzipBytes: stage.metrics.gzipBytes };
}

/** Grouped bars: the exported size and gzipped size of each stage's model. */
export function sizeChart(report: Report): string {
  const { baseline } = report;
  const categories = report.stages.map((s) => s.name);
  const sizes = report.stages.map(stageSize);
  const series = [
    { name: 'sizeBytes', values: sizes.map((s) => s.sizeBytes) },
    { name: 'gzipBytes', values: sizes.map((s) => s.gzipBytes) },
  ];
  if (!report.stages[0]?.exported && baseline?.metrics.sizeBytes !== undefined) {
    categories.unshift(`${baseline.stage} (float32)`);
    series[0]!.values.unshift(baseline.metrics.sizeBytes);
    series[1]!.values.unshift(baseline.metrics.gzipBytes);
  }
  return barChart(categories, series, { title: 'Model size after each stage (as exported)', xLabel: 'stage', yLabel: 'bytes', formatY: formatBytes });
}

/** Accuracy against exported size, one point per stage, joined in run order. */
export function accuracySizeChart(report: Report): string {
  const points = report.stages.flatMap((stage, i) => {
    const size = stageSize(stage).sizeBytes;
    const accuracy = stage.metrics.accuracy;
    if (size === undefined || accuracy === undefined) return [];
    return [{ x: size, y: accuracy, label: stage.name, color: i, title: `${stage.name}: ${formatBytes(size)}, accuracy ${accuracy.toFixed(4)}` }];
  });
  return scatterChart(points, {
    title: 'Accuracy vs size (held-out accuracy, exported bytes)', xLabel: 'size (bytes as exported)', yLabel: 'accuracy',
    formatX: formatBytes, formatY: percent, zeroX: true, connect: true,
  });
}
