// Which channels to remove, given each group's channel importances.

/** How many channels to remove and where. */
export interface RemovalOptions {
  /** Fraction of channels removed: of each group (`layer`), or of all groups' channels together (`global`). */
  sparsity: number;
  scope: 'layer' | 'global';
  /** With `global`, the most any one group may lose (fraction); default 0.9. */
  maxSparsity?: number;
  /** Each group keeps a multiple of this many channels (default 1). */
  roundTo?: number;
}

/** Channels a group keeps at `sparsity`: at least one (or `roundTo`), a multiple of `roundTo`, at most all. */
export function keepCount(units: number, sparsity: number, roundTo = 1): number {
  const keep = Math.max(1, Math.round((1 - sparsity) * units));
  return Math.min(units, Math.max(roundTo, Math.round(keep / roundTo) * roundTo));
}

/** Channel indices by ascending importance; ties remove the later channel first. */
function weakestFirst(scores: Float64Array): number[] {
  return Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]! || b - a);
}

/** Per group, the indices (ascending) of the channels to remove. */
export function channelsToRemove(scores: Float64Array[], options: RemovalOptions): number[][] {
  const roundTo = options.roundTo ?? 1;
  if (options.scope === 'layer') {
    return scores.map((s) => weakestFirst(s).slice(0, s.length - keepCount(s.length, options.sparsity, roundTo)).sort((a, b) => a - b));
  }
  return globalRemoval(scores, options.sparsity, options.maxSparsity ?? 0.9, roundTo);
}

/**
 * One ranking across groups, each channel's importance divided by its group's mean (groups of
 * different fan-in compare), removing the weakest until `sparsity` of all channels are gone,
 * never more than `maxSparsity` of a group; each group then keeps a multiple of `roundTo`.
 */
function globalRemoval(scores: Float64Array[], sparsity: number, maxSparsity: number, roundTo: number): number[][] {
  const pool: Array<{ g: number; c: number; score: number }> = [];
  scores.forEach((s, g) => {
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    s.forEach((v, c) => pool.push({ g, c, score: mean > 0 ? v / mean : 0 }));
  });
  pool.sort((a, b) => a.score - b.score || a.g - b.g || b.c - a.c);
  const target = Math.round(sparsity * pool.length);
  const cap = scores.map((s) => s.length - keepCount(s.length, maxSparsity, roundTo));
  const removed: number[][] = scores.map(() => []);
  let count = 0;
  for (const { g, c } of pool) {
    if (count >= target) break;
    if (removed[g]!.length >= cap[g]!) continue;
    removed[g]!.push(c);
    count++;
  }
  return removed.map((r, g) => {
    const kept = scores[g]!.length - r.length;
    const rounded = Math.min(scores[g]!.length, Math.ceil(kept / roundTo) * roundTo);
    // Drop the strongest of the removed channels (the last chosen) to keep a multiple of roundTo.
    return r.slice(0, scores[g]!.length - rounded).sort((a, b) => a - b);
  });
}
