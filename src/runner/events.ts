import type { Metrics, StageProgress } from '../stages/types.js';

/** How a stage ended up: computed now, reused from its checkpoint, or continued from one. */
export type StageStatus = 'ran' | 'cached' | 'resumed';

/** Events a run emits, in order; `--json` prints each as one line. */
export type RunEvent =
  | { event: 'run-start'; name: string; out: string; backend: string; backendVersion: string; stages: Array<{ name: string; type: string; action: string; reason: string }> }
  | { event: 'stage-start'; index: number; name: string; type: string; action: 'run' | 'cached' | 'resume' }
  | ({ event: 'progress'; index: number; name: string } & StageProgress)
  | { event: 'stage-end'; index: number; name: string; type: string; status: StageStatus; seconds: number; metrics: Metrics }
  | { event: 'run-end'; out: string; final: Metrics; gates: GateResult[]; exitCode: number; seconds: number };

/** One quality gate checked against a final metric, or (accuracyDrop, sizeRatio) against the baseline. */
export interface GateResult {
  metric: string;
  min?: number;
  max?: number;
  value: number | null;
  passed: boolean;
  /** For a relative gate: the stage whose model it compares with (the first stage). */
  baseline?: string;
}
