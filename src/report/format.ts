import type { GateResult, Metrics, Report } from '../types/records.js';
import { downloadOf } from './report.js';

/** The metrics the answer and the stage tables show, in order. */
export const COLUMNS = ['accuracy', 'agreement', 'mae', 'rmse', 'loss', 'params', 'nonzeroParams', 'sparsity', 'sizeBytes', 'gzipBytes', 'brotliBytes', 'macs', 'latencyMs', 'latencyMs32'];

/** A metric value as people read it: ratios to 4 places, bytes and counts as integers. */
export function formatMetric(key: string, value: number | undefined | null): string {
  if (value === undefined || value === null) return '–';
  if (key === 'accuracy' || key === 'agreement' || key === 'sparsity' || key === 'loss' || key === 'accuracyDrop' || key === 'sizeRatio' || key === 'macsRatio') return value.toFixed(4);
  if (key === 'latencyMs' || key === 'latencyMs32') return value.toFixed(3);
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

/**
 * The accuracy change from the baseline in words, from `accuracyDrop` (baseline − final, so a
 * negative drop is a gain): `gained 0.45 points`, `lost 1.20 points`, `unchanged`. Points are
 * percentage points of accuracy.
 */
export function describeAccuracyChange(accuracyDrop: number): string {
  const points = Math.abs(accuracyDrop) * 100;
  if (points < 0.005) return 'unchanged';
  return `${accuracyDrop > 0 ? 'lost' : 'gained'} ${points.toFixed(2)} points`;
}

/** A fraction as a percent to 2 decimals: `94.55%`. */
export const formatPercent = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;

/** The size change from the baseline in words, from `sizeRatio` (final / float32 baseline): `4.0× smaller (25.20% of the float32 size)`. */
export function describeSizeChange(sizeRatio: number): string {
  if (sizeRatio <= 0) return 'size 0 bytes';
  const factor = sizeRatio <= 1 ? `${(1 / sizeRatio).toFixed(1)}× smaller` : `${sizeRatio.toFixed(1)}× larger`;
  return `${factor} (${formatPercent(sizeRatio)} of the float32 size)`;
}

/** `4.0× smaller than` / `1.2× larger than`, from final / reference. */
const factorOf = (ratio: number) => (ratio <= 1 ? `${(1 / ratio).toFixed(1)}× smaller than` : `${ratio.toFixed(1)}× larger than`);

/**
 * The headline's size: what a browser downloads of the final model (the smaller of brotliBytes and
 * gzipBytes) against the float32 baseline: `24,767 bytes to download (brotli 11), 43.1× smaller
 * than the float32 model (1,068,518 bytes)`; undefined when neither compressed size was measured.
 */
export function describeDownload(final: Metrics, float32Bytes: number | undefined): string | undefined {
  const download = downloadOf(final);
  if (!download) return undefined;
  const what = `${formatMetric('sizeBytes', download.bytes)} bytes to download (${download.encoding === 'brotli' ? 'brotli 11' : 'gzip 6'})`;
  if (!float32Bytes || download.bytes <= 0) return what;
  return `${what}, ${factorOf(download.bytes / float32Bytes)} the float32 model (${formatMetric('sizeBytes', float32Bytes)} bytes)`;
}

/** The stored size against float32, for after the download: `stored 4.0× smaller than float32 (sizeBytes, uncompressed)`. */
export function describeStored(sizeRatio: number): string {
  return sizeRatio > 0 ? `stored ${factorOf(sizeRatio)} float32 (sizeBytes: model.json + weights, uncompressed)` : 'stored in 0 bytes';
}

/** A run that stopped: `FAILED at stage "prune"`, `INTERRUPTED during stage "train"`; undefined for a complete run. */
export function describeIncomplete(report: Pick<Report, 'status' | 'failure'>): string | undefined {
  if (!report.status || report.status === 'complete') return undefined;
  const where = report.failure?.stage ? ` ${report.status === 'failed' ? 'at' : 'during'} stage "${report.failure.stage}"` : '';
  return `${report.status === 'failed' ? 'FAILED' : 'INTERRUPTED'}${where}`;
}
