import type { Baseline, BrowserResult, ExportedSize, GateResult, LayerStats, Metrics, RelativeMetrics, Report, RunFailure, RunStatus, StageOutcome } from '../types/records.js';

export type { Baseline, ExportedSize, LayerStats, RelativeMetrics, Report, ReportStage, RunFailure, RunStatus, WeightStats } from '../types/records.js';

/** Relative metrics of `final` against `baseline` (each only when both sides were measured). */
export function relativeMetrics(baseline: Metrics | undefined, final: Metrics): RelativeMetrics {
  const out: RelativeMetrics = {};
  if (baseline?.accuracy !== undefined && final.accuracy !== undefined) out.accuracyDrop = baseline.accuracy - final.accuracy;
  if (baseline?.sizeBytes && final.sizeBytes !== undefined) out.sizeRatio = final.sizeBytes / baseline.sizeBytes;
  const download = downloadOf(final);
  if (baseline?.sizeBytes && download) out.downloadRatio = download.bytes / baseline.sizeBytes;
  if (baseline?.macs && final.macs !== undefined) out.macsRatio = final.macs / baseline.macs;
  return out;
}

/** What a browser downloads of a model: the smaller of its brotli and gzip sizes, whichever were measured. */
export function downloadOf(metrics: Metrics): { bytes: number; encoding: 'brotli' | 'gzip' } | undefined {
  const { brotliBytes: brotli, gzipBytes: gzip } = metrics;
  if (brotli !== undefined && (gzip === undefined || brotli <= gzip)) return { bytes: brotli, encoding: 'brotli' };
  return gzip === undefined ? undefined : { bytes: gzip, encoding: 'gzip' };
}

/** The baseline of a report: recorded, or (reports from before it was recorded) the first stage. */
function baselineOf(report: Report): Baseline | undefined {
  if (report.baseline) return report.baseline;
  const first = report.stages[0];
  return first ? { stage: first.name, metrics: first.metrics } : undefined;
}

/**
 * A report read from disk with its baseline and relative metrics present, as condense writes
 * them today (reports of older versions lack them): readers call this once, and the renderers
 * read the fields instead of recomputing them.
 */
export function normalizeReport(report: Report): Report {
  if (report.baseline && report.final.relative) return report;
  const baseline = baselineOf(report);
  return {
    ...report,
    ...(baseline ? { baseline } : {}),
    final: { ...report.final, relative: report.final.relative ?? relativeMetrics(baseline?.metrics, report.final.metrics) },
  };
}

/**
 * Assembles report.json from the stage outcomes and the final metrics. `status` defaults to
 * `complete`; a run that stopped passes `failed` or `interrupted` with its `failure`.
 */
export function buildReport(args: {
  name: string; backend: string; backendVersion: string; seed: number; recipeHash: string;
  outcomes: StageOutcome[]; final: Metrics; gates: GateResult[]; seconds: number;
  baseline?: Baseline; relative?: RelativeMetrics; layers?: LayerStats[]; exported?: Array<ExportedSize | undefined>;
  status?: RunStatus; failure?: RunFailure;
  /** The final model's browser figures. */
  browser?: BrowserResult;
  /** Per outcome, the earlier stage a distill stage took as its teacher. */
  teachers?: Array<string | undefined>;
}): Report {
  const warnings = args.outcomes.flatMap((o) => (o.browser ? browserWarnings(o.stage, o.browser) : []));
  return {
    status: args.status ?? 'complete',
    ...(args.failure ? { failure: args.failure } : {}),
    name: args.name,
    backend: args.backend,
    backendVersion: args.backendVersion,
    seed: args.seed,
    recipeHash: args.recipeHash,
    stages: args.outcomes.map((o, i) => ({
      name: o.stage, type: o.type, status: o.status, seconds: round(o.seconds, 3), metrics: o.metrics, history: o.history,
      ...(args.exported?.[i] ? { exported: args.exported[i] } : {}),
      ...(o.browser ? { browser: o.browser } : {}),
      ...(o.sensitivity ? { sensitivity: o.sensitivity } : {}),
      ...(args.teachers?.[i] ? { teacher: args.teachers[i] } : {}),
    })),
    ...(args.baseline ? { baseline: args.baseline } : {}),
    final: {
      metrics: args.final,
      ...(args.relative ? { relative: args.relative } : {}),
      ...(args.layers ? { layers: args.layers } : {}),
      ...(args.browser ? { browser: args.browser } : {}),
    },
    gates: args.gates,
    ...(warnings.length ? { warnings } : {}),
    seconds: round(args.seconds, 3),
  };
}

/** What a stage's browser evaluation could not measure: skipped entirely, or backends that were unavailable. */
function browserWarnings(stage: string, browser: BrowserResult): string[] {
  if (browser.skipped) return [`stage "${stage}": browser evaluation skipped: ${browser.skipped}`];
  return Object.entries(browser.backends).flatMap(([name, b]) => (b.status === 'unavailable' ? [`stage "${stage}": browser backend ${name} unavailable: ${b.reason}`] : []));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
