/** How the learning rate changes from epoch to epoch. */
export interface LrSchedule {
  kind: 'constant' | 'step' | 'exponential' | 'cosine';
  /** Factor per decay: step (default 0.1 every `every` epochs), exponential (default 0.9 per epoch). */
  decay?: number;
  /** Epochs between step decays (default 1). */
  every?: number;
  /** Floor of the cosine schedule (default 0). */
  minLearningRate?: number;
}

/**
 * The learning rate of epoch `epoch` (1-based) out of `epochs`, from the base rate: constant;
 * step: base·decay^⌊(epoch−1)/every⌋; exponential: base·decay^(epoch−1);
 * cosine: min + (base − min)·½(1 + cos(π·(epoch−1)/epochs)).
 */
export function learningRateAt(schedule: LrSchedule, base: number, epoch: number, epochs: number): number {
  const e = epoch - 1;
  switch (schedule.kind) {
    case 'step':
      return base * (schedule.decay ?? 0.1) ** Math.floor(e / (schedule.every ?? 1));
    case 'exponential':
      return base * (schedule.decay ?? 0.9) ** e;
    case 'cosine': {
      const min = schedule.minLearningRate ?? 0;
      return min + (base - min) * 0.5 * (1 + Math.cos((Math.PI * e) / Math.max(1, epochs)));
    }
    default:
      return base;
  }
}

/** Early stopping on the mean training loss of each epoch. */
export interface EarlyStopping {
  /** Epochs without improvement before stopping (default 2). */
  patience: number;
  /** Smallest decrease that counts as an improvement (default 0). */
  minDelta: number;
}

/** True when the last `patience` epochs of `losses` did not improve on the best before them. */
export function shouldStopEarly(losses: readonly number[], rule: EarlyStopping): boolean {
  if (losses.length <= rule.patience) return false;
  const before = Math.min(...losses.slice(0, losses.length - rule.patience));
  return losses.slice(-rule.patience).every((l) => l > before - rule.minDelta);
}
