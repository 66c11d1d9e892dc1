import type { ReportStage } from './report.js';

/** One per-epoch scalar of a training stage: a line of scalars.jsonl. */
export interface Scalar {
  stage: string;
  /** Epoch within the stage, from 1. */
  step: number;
  /** The history key: trainLoss, trainAccuracy, sparsity, ... */
  tag: string;
  value: number;
  /**
   * Seconds from the stage's start to the end of this epoch. Histories record no clock, so this is
   * the stage's wall time pro-rated by epoch unless the history carries its own `time`.
   */
  time: number;
}

/** The scalars of every stage's history, in stage order, then epoch, then tag. */
export function scalarsFromStages(stages: Array<Pick<ReportStage, 'name' | 'seconds' | 'history'>>): Scalar[] {
  const out: Scalar[] = [];
  for (const stage of stages) {
    const epochs = stage.history.length;
    stage.history.forEach((entry, i) => {
      const step = entry.epoch ?? i + 1;
      const time = entry.time ?? Math.round((stage.seconds * (i + 1) / epochs) * 1000) / 1000;
      for (const [tag, value] of Object.entries(entry)) {
        if (tag === 'epoch' || tag === 'time' || !Number.isFinite(value)) continue;
        out.push({ stage: stage.name, step, tag, value, time });
      }
    });
  }
  return out;
}

/** scalars.jsonl text: one JSON object a line, with a final newline (empty when there are none). */
export function scalarsToJsonl(scalars: Scalar[]): string {
  return scalars.map((s) => JSON.stringify({ stage: s.stage, step: s.step, tag: s.tag, value: s.value, time: s.time }) + '\n').join('');
}

/** Parses scalars.jsonl; a malformed line is an error naming its line number. */
export function parseScalars(text: string): Scalar[] {
  return text.split('\n').flatMap((line, i) => {
    if (!line.trim()) return [];
    const s = JSON.parse(line) as Scalar;
    if (typeof s.stage !== 'string' || typeof s.tag !== 'string' || typeof s.step !== 'number' || typeof s.value !== 'number') {
      throw new Error(`scalars.jsonl:${i + 1}: expected {stage, step, tag, value, time}`);
    }
    return [s];
  });
}
