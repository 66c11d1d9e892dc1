import type { Baseline, ExportedSize, GateResult, LayerStats, Metrics, RelativeMetrics, Report, RunFailure, RunStatus, StageOutcome } from '../types/records.js';

export type { Baseline, ExportedSize, LayerStats, RelativeMetrics, Report, ReportStage, RunFailure, RunStatus, WeightStats } from '../types/records.js';

/** Relative metrics of `final` against `baseline` (each only when both sides were measured). */
export function relativeMetrics(baseline: Metrics | undefined, final: Metrics): RelativeMetrics {
  const out: RelativeMetrics = {};
  if (baseline?.accuracy !== undefined && final.accuracy !== undefined) out.accuracyDrop = baseline.accuracy - final.accuracy;
  if (baseline?.sizeBytes && final.sizeBytes !== undefined) out.sizeRatio = final.sizeBytes / baseline.sizeBytes;
  if (baseline?.macs && final.macs !== undefined) out.macsRatio = final.macs / baseline.macs;
  return out;
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
}): Report {
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
    })),
    ...(args.baseline ? { baseline: args.baseline } : {}),
    final: {
      metrics: args.final,
      ...(args.relative ? { relative: args.relative } : {}),
      ...(args.layers ? { layers: args.layers } : {}),
    },
    gates: args.gates,
    seconds: round(args.seconds, 3),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
