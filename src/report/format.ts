import type { GateResult } from '../types/records.js';

/** The metrics the answer and the stage tables show, in order. */
export const COLUMNS = ['accuracy', 'agreement', 'mae', 'rmse', 'loss', 'params', 'nonzeroParams', 'sparsity', 'sizeBytes', 'gzipBytes', 'latencyMs'];

/** A metric value as people read it: ratios to 4 places, bytes and counts as integers. */
export function formatMetric(key: string, value: number | undefined | null): string {
  if (value === undefined || value === null) return '–';
  if (key === 'accuracy' || key === 'agreement' || key === 'sparsity' || key === 'loss' || key === 'accuracyDrop' || key === 'sizeRatio') return value.toFixed(4);
  if (key === 'latencyMs') return value.toFixed(3);
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(4);
}

/** final / baseline to 3 decimals, or `–` when either is missing or the baseline is 0. */
export function formatRatio(base: number | undefined, final: number | undefined): string {
  return base && final !== undefined ? (final / base).toFixed(3) : '–';
}

/** A signed difference: `+0.0123`, `−1,024`. */
export function formatDelta(key: string, delta: number | undefined): string {
  if (delta === undefined) return '–';
  if (delta === 0) return '0';
  return `${delta > 0 ? '+' : '−'}${formatMetric(key, Math.abs(delta))}`;
}

/** `all 2 gates met`, `1 of 2 gates NOT met: accuracyDrop`, or `no gates`. */
export function gateSummary(gates: GateResult[]): string {
  if (gates.length === 0) return 'no gates';
  const failed = gates.filter((g) => !g.passed);
  if (failed.length === 0) return `all ${gates.length} gate${gates.length > 1 ? 's' : ''} met`;
  return `${failed.length} of ${gates.length} gate${gates.length > 1 ? 's' : ''} NOT met: ${failed.map((g) => g.metric).join(', ')}`;
}

/** The baseline column's heading: `baseline`, or `warmup (baseline)` for a first stage named otherwise. */
export function baselineLabel(stage: string | undefined): string {
  return stage === undefined ? 'baseline' : stage === 'baseline' ? stage : `${stage} (baseline)`;
}
