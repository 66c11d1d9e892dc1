import type { GateResult } from '../runner/events.js';
import type { StageOutcome } from '../runner/run.js';
import type { Metrics } from '../stages/types.js';

/** report.json: the shape schemas/report.schema.json describes. */
export interface Report {
  name: string;
  backend: string;
  backendVersion: string;
  seed: number;
  recipeHash: string;
  stages: Array<{ name: string; type: string; status: string; seconds: number; metrics: Metrics; history: Array<Record<string, number>> }>;
  final: { metrics: Metrics };
  gates: GateResult[];
  /** Seconds for the whole run, cached stages included. */
  seconds: number;
}

/** Assembles report.json from the stage outcomes and the final metrics. */
export function buildReport(args: {
  name: string; backend: string; backendVersion: string; seed: number; recipeHash: string;
  outcomes: StageOutcome[]; final: Metrics; gates: GateResult[]; seconds: number;
}): Report {
  return {
    name: args.name,
    backend: args.backend,
    backendVersion: args.backendVersion,
    seed: args.seed,
    recipeHash: args.recipeHash,
    stages: args.outcomes.map((o) => ({ name: o.stage, type: o.type, status: o.status, seconds: round(o.seconds, 3), metrics: o.metrics, history: o.history })),
    final: { metrics: args.final },
    gates: args.gates,
    seconds: round(args.seconds, 3),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
