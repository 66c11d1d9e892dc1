/** One prunable weight's values, by key `layer/weight`. */
export interface WeightValues {
  key: string;
  values: Float32Array;
}

/** Pruning scope: one threshold over all selected weights, or one per weight. */
export type PruneScope = 'global' | 'layer';

/**
 * Magnitude masks zeroing the `sparsity` fraction of smallest-|w| entries: exactly
 * floor(sparsity · n) zeros per group (ties broken by position, so results are deterministic).
 */
export function magnitudeMasks(weights: WeightValues[], sparsity: number, scope: PruneScope): Map<string, Float32Array> {
  const masks = new Map<string, Float32Array>();
  const groups = scope === 'global' ? [weights] : weights.map((w) => [w]);
  for (const group of groups) {
    const total = group.reduce((n, w) => n + w.values.length, 0);
    const prune = Math.floor(sparsity * total);
    const order = sortedByMagnitude(group, total);
    const groupMasks = group.map((w) => new Float32Array(w.values.length).fill(1));
    const offsets: number[] = [];
    let offset = 0;
    for (const w of group) {
      offsets.push(offset);
      offset += w.values.length;
    }
    for (let i = 0; i < prune; i++) {
      const flat = order[i]!;
      const g = upperBound(offsets, flat) - 1;
      groupMasks[g]![flat - offsets[g]!] = 0;
    }
    group.forEach((w, i) => masks.set(w.key, groupMasks[i]!));
  }
  return masks;
}

function sortedByMagnitude(group: WeightValues[], total: number): Uint32Array {
  const magnitude = new Float32Array(total);
  let offset = 0;
  for (const w of group) {
    for (let i = 0; i < w.values.length; i++) magnitude[offset + i] = Math.abs(w.values[i]!);
    offset += w.values.length;
  }
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  return order.sort((a, b) => magnitude[a]! - magnitude[b]! || a - b);
}

function upperBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keeps already-pruned entries pruned: the elementwise minimum of two masks. */
export function combineMasks(a: Float32Array | undefined, b: Float32Array): Float32Array {
  if (!a) return b;
  const out = new Float32Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = Math.min(a[i]!, b[i]!);
  return out;
}

/** Fraction of zeros in a mask. */
export function maskSparsity(mask: Float32Array): number {
  let zeros = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) zeros++;
  return mask.length ? zeros / mask.length : 0;
}
