import type { GateResult, Metrics, StageStatus } from '../types/records.js';
import type { StageProgress } from '../stages/types.js';

export type { GateResult, StageStatus } from '../types/records.js';

/** Events a run emits, in order; `--json` prints each as one line. */
export type RunEvent =
  | { event: 'run-start'; name: string; out: string; backend: string; backendVersion: string; stages: Array<{ name: string; type: string; action: string; reason: string }> }
  | { event: 'stage-start'; index: number; name: string; type: string; action: 'run' | 'cached' | 'resume' }
  | ({ event: 'progress'; index: number; name: string } & StageProgress)
  | { event: 'stage-end'; index: number; name: string; type: string; status: StageStatus; seconds: number; metrics: Metrics }
  | { event: 'run-end'; out: string; final: Metrics; gates: GateResult[]; exitCode: number; seconds: number };
