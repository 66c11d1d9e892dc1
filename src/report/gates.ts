import type { Gate } from '../recipe/types.js';
import { browserGateValue } from '../browser/gate-paths.js';
import type { BrowserResult, GateResult, Metrics, RelativeMetrics } from '../types/records.js';

/** Gates on the final model relative to the first stage's model (the baseline), and what they bound. */
export const RELATIVE_GATES: Record<keyof RelativeMetrics, string> = {
  accuracyDrop: 'baseline accuracy − final accuracy',
  sizeRatio: 'final sizeBytes / float32 sizeBytes of the baseline model',
  downloadRatio: 'final download (smaller of brotliBytes and gzipBytes) / float32 sizeBytes of the baseline model',
  macsRatio: 'final macs / macs of the baseline model',
};

/**
 * Checks each gate: absolute ones against the final metrics, relative ones (accuracyDrop,
 * sizeRatio) against `relative`, computed from the baseline stage, `browser.*` ones against the
 * final model's browser figures (see browser/gate-paths.ts). A value that was not measured fails its gate.
 */
export function checkGates(gates: Record<string, Gate> | undefined, metrics: Metrics, relative: RelativeMetrics = {}, baselineStage?: string, browser?: BrowserResult): GateResult[] {
  return Object.entries(gates ?? {}).map(([metric, gate]) => {
    const isRelative = Object.hasOwn(RELATIVE_GATES, metric);
    const value = isRelative ? relative[metric as keyof RelativeMetrics]
      : metric.startsWith('browser.') ? browserGateValue(metric, browser) : metrics[metric];
    const passed = value !== undefined && (gate.min === undefined || value >= gate.min) && (gate.max === undefined || value <= gate.max);
    return { metric, ...gate, value: value ?? null, passed, ...(isRelative && baselineStage ? { baseline: baselineStage } : {}) };
  });
}

/** A value as a gate line shows it: up to 6 significant digits. */
function gateValue(v: number | null): string {
  return v === null ? 'not measured' : String(Number(v.toPrecision(6)));
}

/** `accuracy = 0.91 (min 0.95): NOT met`; relative gates say what they compare. */
export function describeGate(g: GateResult): string {
  const bounds = [g.min !== undefined ? `min ${g.min}` : '', g.max !== undefined ? `max ${g.max}` : ''].filter(Boolean).join(', ');
  const what = Object.hasOwn(RELATIVE_GATES, g.metric)
    ? `; ${RELATIVE_GATES[g.metric as keyof RelativeMetrics]}${g.baseline ? `, baseline stage "${g.baseline}"` : ''}`
    : '';
  return `${g.metric} = ${gateValue(g.value)} (${bounds}${what}): ${g.passed ? 'met' : 'NOT met'}`;
}
