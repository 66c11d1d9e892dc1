import type { Metrics, Report } from '../types/records.js';

/** One metric of one stage that differs between a run and its reproduction. */
export interface MetricDifference {
  stage: string;
  metric: string;
  original: number;
  reproduced: number | undefined;
  /** reproduced − original (NaN when the reproduction lacks the metric). */
  difference: number;
  /** |difference| / max(|original|, |reproduced|): 0 when equal. */
  relative: number;
}

/** Metrics that measure time, not the model: never compared. */
const TIMING = /latency|seconds|Ms$/i;

/**
 * Compares every numeric metric of every stage (and the final metrics) of two reports.
 * `tolerance` 0 asks for equality; otherwise a relative difference up to `tolerance` passes.
 */
export function compareReports(original: Report, reproduced: Report, tolerance: number): MetricDifference[] {
  const differences: MetricDifference[] = [];
  const byName = new Map(reproduced.stages.map((s) => [s.name, s.metrics]));
  for (const stage of original.stages) differences.push(...compareMetrics(stage.name, stage.metrics, byName.get(stage.name) ?? {}, tolerance));
  differences.push(...compareMetrics('final', original.final.metrics, reproduced.final.metrics, tolerance));
  return differences;
}

function compareMetrics(stage: string, original: Metrics, reproduced: Metrics, tolerance: number): MetricDifference[] {
  const out: MetricDifference[] = [];
  for (const [metric, value] of Object.entries(original)) {
    if (typeof value !== 'number' || TIMING.test(metric)) continue;
    const again = (reproduced as Record<string, unknown>)[metric];
    if (typeof again !== 'number') {
      out.push({ stage, metric, original: value, reproduced: undefined, difference: NaN, relative: Infinity });
      continue;
    }
    if (again === value) continue;
    const relative = Math.abs(again - value) / Math.max(Math.abs(value), Math.abs(again));
    if (relative > tolerance) out.push({ stage, metric, original: value, reproduced: again, difference: again - value, relative });
  }
  return out;
}

/** `stage prune: accuracy 0.9075 → 0.9050 (-0.0025, 0.28%)`. */
export function describeDifference(d: MetricDifference): string {
  if (d.reproduced === undefined) return `stage ${d.stage}: ${d.metric} ${d.original} → missing in the reproduction`;
  const sign = d.difference > 0 ? '+' : '';
  return `stage ${d.stage}: ${d.metric} ${d.original} → ${d.reproduced} (${sign}${Number(d.difference.toPrecision(4))}, ${(d.relative * 100).toPrecision(3)}%)`;
}
