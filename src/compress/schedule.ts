/**
 * Gradual pruning (Zhu & Gupta, 2017): s_t = s_f + (s_i − s_f)(1 − progress)^power, where
 * progress runs from 0 at the first pruning step to 1 at the last (clamped to [0, 1]).
 */
export function polynomialSparsity(progress: number, initial: number, final: number, power: number): number {
  const p = Math.min(1, Math.max(0, progress));
  return final + (initial - final) * (1 - p) ** power;
}
