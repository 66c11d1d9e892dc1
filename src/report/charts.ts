import { formatBytes } from './escape.js';
import type { AxisOptions } from './axis.js';
import type { Report } from './report.js';
import type { Scalar } from './scalars.js';
import { barChart, emptyChart, lineChart, paletteColor, scatterChart } from './svg.js';
import type { BarGroup, Series } from './svg.js';

/** How a per-epoch scalar is charted: its title, its y label and how its axis is fitted. */
interface TagChart {
  title: string;
  yLabel: string;
  y: AxisOptions;
}

const TAG_CHARTS: Record<string, TagChart> = {
  trainLoss: { title: 'Training loss per epoch', yLabel: 'mean cross-entropy', y: { zero: true } },
  trainAccuracy: { title: 'Training accuracy per epoch', yLabel: 'accuracy (train)', y: { unit: 'percent', clamp: [0, 1] } },
  sparsity: { title: 'Sparsity enforced per epoch', yLabel: 'sparsity', y: { unit: 'percent', zero: true, clamp: [0, 1] } },
  learningRate: { title: 'Learning rate per epoch', yLabel: 'learning rate', y: { zero: true } },
};

/** A scalar no chart knows: its own values decide the axis, with no unit assumed. */
const otherTag = (tag: string): TagChart => ({ title: `${tag} per epoch`, yLabel: tag, y: {} });

const percent = (v: number) => `${Math.round(v * 10000) / 100}%`;

/**
 * Each stage's colour, the same in every chart: the palette colour of its place in the run. The
 * baseline `input` (the model as given, before any stage) is grey.
 */
export function stageColors(report: Report): Map<string, string> {
  const colors = new Map(report.stages.map((s, i) => [s.name, paletteColor(i)]));
  colors.set('input', colors.get('input') ?? '#7a828a');
  return colors;
}

/**
 * One line chart per scalar tag (loss and accuracy first), x = epoch counted across the whole
 * run so the stages follow each other, one series per stage in the stage's colour.
 */
export function trainingCharts(report: Report, scalars: Scalar[]): string[] {
  if (scalars.length === 0) return [emptyChart('Training curves', 'no stage of this run trained (no per-epoch scalars)')];
  const colors = stageColors(report);
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
      color: colors.get(stage.name),
      points: scalars.filter((s) => s.stage === stage.name && s.tag === tag)
        .map((s) => ({ x: (offsets.get(stage.name) ?? 0) + s.step, y: s.value, label: `epoch ${s.step}` })),
    }));
    const chart = TAG_CHARTS[tag] ?? otherTag(tag);
    return lineChart(series, {
      title: chart.title, yLabel: chart.yLabel, xLabel: 'epoch (across the run)', height: 260,
      x: { integer: true }, y: chart.y, formatX: String, ...(chart.y.unit === 'percent' ? { formatY: percent } : { formatY: (v) => String(Number(v.toPrecision(6))) }),
    });
  });
}

function rank(tag: string): number {
  const i = Object.keys(TAG_CHARTS).indexOf(tag);
  return i < 0 ? 99 : i;
}

/** A stage's model size as exported at that point: measured at the end of the run, or by the stage. */
function stageSize(stage: Report['stages'][number]): { sizeBytes?: number; gzipBytes?: number } {
  return stage.exported ?? { sizeBytes: stage.metrics.sizeBytes, gzipBytes: stage.metrics.gzipBytes };
}

/** Grouped bars in each stage's colour: the exported size (solid) and gzipped size (pale) of each stage's model. */
export function sizeChart(report: Report): string {
  const { baseline } = report;
  const colors = stageColors(report);
  const groups: BarGroup[] = report.stages.map((s) => {
    const size = stageSize(s);
    return { label: s.name, color: colors.get(s.name)!, values: [size.sizeBytes, size.gzipBytes] };
  });
  if (!report.stages[0]?.exported && baseline?.metrics.sizeBytes !== undefined) {
    groups.unshift({ label: `${baseline.stage} (float32)`, color: colors.get(baseline.stage) ?? '#7a828a', values: [baseline.metrics.sizeBytes, baseline.metrics.gzipBytes] });
  }
  return barChart(groups, ['sizeBytes', 'gzipBytes'], {
    title: 'Model size after each stage (as exported)', xLabel: 'stage', yLabel: 'size', y: { unit: 'bytes' }, formatY: formatBytes,
  });
}

/** Accuracy against exported size, one point per stage in the stage's colour, joined in run order. */
export function accuracySizeChart(report: Report): string {
  const colors = stageColors(report);
  const points = report.stages.flatMap((stage) => {
    const size = stageSize(stage).sizeBytes;
    const accuracy = stage.metrics.accuracy;
    if (size === undefined || accuracy === undefined) return [];
    return [{ x: size, y: accuracy, label: stage.name, color: colors.get(stage.name), title: `${stage.name}: ${formatBytes(size)}, accuracy ${accuracy.toFixed(4)}` }];
  });
  return scatterChart(points, {
    title: 'Accuracy vs size (held-out accuracy, exported bytes)', xLabel: 'size (as exported)', yLabel: 'accuracy',
    x: { unit: 'bytes', zero: true }, y: { unit: 'percent', clamp: [0, 1] }, formatX: formatBytes, formatY: percent, connect: true,
  });
}
