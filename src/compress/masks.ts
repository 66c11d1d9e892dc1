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
    const threshold = kthMagnitude(group, total, prune);
    // Entries below the threshold are pruned; ties at it are pruned in position order until
    // exactly `prune` entries are zero.
    let below = 0;
    for (const w of group) for (let i = 0; i < w.values.length; i++) if (Math.abs(w.values[i]!) < threshold) below++;
    let tiesLeft = prune - below;
    for (const w of group) {
      const mask = new Float32Array(w.values.length);
      for (let i = 0; i < w.values.length; i++) {
        const m = Math.abs(w.values[i]!);
        if (m > threshold || prune === 0) mask[i] = 1;
        else if (m === threshold) {
          if (tiesLeft > 0) tiesLeft--;
          else mask[i] = 1;
        }
      }
      masks.set(w.key, mask);
    }
  }
  return masks;
}

/** The magnitude of the `k`-th smallest |w| (1-based) across a group; -1 when k is 0. */
function kthMagnitude(group: WeightValues[], total: number, k: number): number {
  if (k <= 0) return -1;
  const magnitude = new Float32Array(total);
  let offset = 0;
  for (const w of group) {
    for (let i = 0; i < w.values.length; i++) magnitude[offset + i] = Math.abs(w.values[i]!);
    offset += w.values.length;
  }
  return kthSmallest(magnitude, k - 1);
}

/**
 * The k-th smallest value (0-based) of `values`, which it reorders: quickselect with a
 * median-of-three pivot, linear on average (a full sort per gradual-pruning update was most of
 * the prune stage's own time).
 */
export function kthSmallest(values: Float32Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const a = values[lo]!;
    const b = values[mid]!;
    const c = values[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
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

/**
 * N:M masks (e.g. 2:4, the pattern sparse tensor cores run): in every group of `m` consecutive
 * weights along the reduction axis (the kernel seen as [rows, outputs], grouped down each
 * output's column), the `n` largest |w| are kept. A last, shorter group keeps at most `n`.
 * Ties go to the earlier position.
 * @param outputs size of the kernel's last axis (units or filters).
 */
export function nmMask(values: Float32Array, outputs: number, n: number, m: number): Float32Array {
  const rows = values.length / outputs;
  const mask = new Float32Array(values.length);
  const group: number[] = [];
  for (let o = 0; o < outputs; o++) {
    for (let start = 0; start < rows; start += m) {
      group.length = 0;
      for (let r = start; r < Math.min(rows, start + m); r++) group.push(r * outputs + o);
      group.sort((a, b) => Math.abs(values[b]!) - Math.abs(values[a]!) || a - b);
      for (let k = 0; k < Math.min(n, group.length); k++) mask[group[k]!] = 1;
    }
  }
  return mask;
}
