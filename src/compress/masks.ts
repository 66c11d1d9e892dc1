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
    const kth = kthMagnitude(group, prune);
    // Entries below the threshold are pruned; ties at it are pruned in position order until
    // exactly `prune` entries are zero.
    const tiesPruned = prune - kth.below;
    if (!kth.found) {
      for (const w of group) masks.set(w.key, new Float32Array(w.values.length).fill(1));
    } else if (tiesPruned === 0 || tiesPruned === kth.ties) {
      // All ties kept or all pruned: one comparison per entry, which a loop can do without branches.
      const keepAbove = tiesPruned === 0 ? kth.bits - 1 : kth.bits;
      for (const w of group) masks.set(w.key, maskAbove(w.values, keepAbove));
    } else {
      let tiesLeft = tiesPruned;
      for (const w of group) {
        const mask = maskAbove(w.values, kth.bits);
        const bits = bitsOf(w.values);
        for (let i = 0; i < bits.length; i++) {
          if ((bits[i]! & 0x7fffffff) !== kth.bits) continue;
          if (tiesLeft > 0) tiesLeft--;
          else mask[i] = 1;
        }
        masks.set(w.key, mask);
      }
    }
  }
  return masks;
}

function bitsOf(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/**
 * 1 where |value|'s bits exceed `keepAbove` (-1: everywhere but NaN), else 0. Magnitudes order as
 * their sign-cleared bits do; NaN (bits past infinity's) is pruned, as a float comparison would.
 */
function maskAbove(values: Float32Array, keepAbove: number): Float32Array {
  const bits = bitsOf(values);
  const mask = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const m = bits[i]! & 0x7fffffff;
    mask[i] = ((keepAbove - m) >>> 31) & ((m - 0x7f800001) >>> 31);
  }
  return mask;
}

/**
 * The `k`-th smallest |w| (1-based) across a group, as its sign-cleared bits, with how many entries
 * are strictly smaller and how many equal it (`found` false when k is 0). A radix select: with the
 * sign cleared, magnitudes order as their bit patterns do, so two 16-bit histogram passes find it.
 * Gradual pruning updates its masks every few steps; a quickselect over a copy was 10 ms of each
 * update on the quickstart.
 */
function kthMagnitude(group: WeightValues[], k: number): { found: boolean; bits: number; below: number; ties: number } {
  if (k <= 0) return { found: false, bits: 0, below: 0, ties: 0 };
  const bits = group.map((w) => bitsOf(w.values));
  const counts = new Uint32Array(65536);
  for (const b of bits) for (let i = 0; i < b.length; i++) counts[(b[i]! & 0x7fffffff) >>> 16]++;
  let rank = k - 1;
  const high = bucketOf(counts, rank);
  rank -= high.before;
  counts.fill(0);
  for (const b of bits) {
    for (let i = 0; i < b.length; i++) {
      const m = b[i]! & 0x7fffffff;
      if (m >>> 16 === high.bucket) counts[m & 0xffff]++;
    }
  }
  const low = bucketOf(counts, rank);
  return { found: true, bits: ((high.bucket << 16) | low.bucket) >>> 0, below: high.before + low.before, ties: counts[low.bucket]! };
}

/** The bucket holding the entry of 0-based `rank`, and how many entries the buckets before it hold. */
function bucketOf(counts: Uint32Array, rank: number): { bucket: number; before: number } {
  let before = 0;
  let bucket = 0;
  while (before + counts[bucket]! <= rank) before += counts[bucket++]!;
  return { bucket, before };
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
