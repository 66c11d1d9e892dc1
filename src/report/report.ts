import type { GateResult } from '../runner/events.js';
import type { StageOutcome } from '../runner/run.js';
import type { Metrics } from '../stages/types.js';
import type { LayerStats } from './layers.js';

/** Size of a stage's model as it would be exported then (model.json + weights, its quantization applied). */
export interface ExportedSize {
  sizeBytes: number;
  gzipBytes: number;
}

/** One stage in report.json. */
export interface ReportStage {
  name: string;
  type: string;
  status: string;
  seconds: number;
  metrics: Metrics;
  history: Array<Record<string, number>>;
  exported?: ExportedSize;
}

/** What the final model is compared with: the first stage's model. */
export interface Baseline {
  stage: string;
  /** The first stage's metrics; sizeBytes and gzipBytes are those of its float32 export. */
  metrics: Metrics;
}

/** Final metrics relative to the baseline; the relative gates bound these. */
export interface RelativeMetrics {
  /** baseline accuracy − final accuracy (positive: accuracy was lost). */
  accuracyDrop?: number;
  /** final sizeBytes / float32 sizeBytes of the baseline model. */
  sizeRatio?: number;
}

/** report.json: the shape schemas/report.schema.json describes. */
export interface Report {
  name: string;
  backend: string;
  backendVersion: string;
  seed: number;
  recipeHash: string;
  stages: ReportStage[];
  baseline?: Baseline;
  final: { metrics: Metrics; relative?: RelativeMetrics; layers?: LayerStats[] };
  gates: GateResult[];
  /** Seconds for the whole run, cached stages included. */
  seconds: number;
}

/** Relative metrics of `final` against `baseline` (each only when both sides were measured). */
export function relativeMetrics(baseline: Metrics | undefined, final: Metrics): RelativeMetrics {
  const out: RelativeMetrics = {};
  if (baseline?.accuracy !== undefined && final.accuracy !== undefined) out.accuracyDrop = baseline.accuracy - final.accuracy;
  if (baseline?.sizeBytes && final.sizeBytes !== undefined) out.sizeRatio = final.sizeBytes / baseline.sizeBytes;
  return out;
}

/** The baseline of a report: recorded, or (reports from before it was recorded) the first stage. */
export function baselineOf(report: Report): Baseline | undefined {
  if (report.baseline) return report.baseline;
  const first = report.stages[0];
  return first ? { stage: first.name, metrics: first.metrics } : undefined;
}

/** Assembles report.json from the stage outcomes and the final metrics. */
export function buildReport(args: {
  name: string; backend: string; backendVersion: string; seed: number; recipeHash: string;
  outcomes: StageOutcome[]; final: Metrics; gates: GateResult[]; seconds: number;
  baseline?: Baseline; relative?: RelativeMetrics; layers?: LayerStats[]; exported?: Array<ExportedSize | undefined>;
}): Report {
  return {
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
