// Per-layer levels from a sensitivity scan: each layer was pruned alone at a ladder of sparsities
// and the accuracy it lost measured. One tolerance is shared by every layer: each takes the
// highest sparsity whose (monotone, interpolated) drop stays within it, and the tolerance is the
// smallest that reaches the target overall sparsity — or the accuracy budget given.

/** One layer's scan: its weight count and the accuracy lost at each level of the ladder. */
export interface LayerCurve {
  name: string;
  /** Prunable weights of the layer (what its sparsity is a fraction of). */
  params: number;
  /** Accuracy lost (unchanged − pruned; negative: gained) at each ladder level, in ladder order. */
  drops: number[];
}

/** What the proposal must meet: an overall sparsity of the scanned weights, or a per-layer accuracy budget. */
export type ProposalTarget = { sparsity: number } | { maxDrop: number };

/** Per-layer levels and what they amount to. */
export interface Proposal {
  /** Sparsity per layer name, rounded to 4 decimals. */
  levels: Record<string, number>;
  /** Overall sparsity of the scanned weights under `levels` (weighted by each layer's weights). */
  sparsity: number;
  /** The accuracy drop every layer alone stays within (interpolated between ladder levels). */
  tolerance: number;
}

/** The running maximum of the drops: a layer pruned harder is taken as never better off. */
function envelope(drops: readonly number[]): number[] {
  let max = 0;
  return drops.map((d) => (max = Math.max(max, d)));
}

/** The highest sparsity of `ladder` (linear between rungs, from 0 at drop 0) whose envelope stays within `tolerance`. */
export function levelWithin(ladder: readonly number[], drops: readonly number[], tolerance: number): number {
  const curve = envelope(drops);
  let level = 0;
  let drop = 0;
  for (let i = 0; i < ladder.length; i++) {
    if (curve[i]! > tolerance) return level + ((tolerance - drop) / (curve[i]! - drop)) * (ladder[i]! - level);
    level = ladder[i]!;
    drop = curve[i]!;
  }
  return level;
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Levels of every layer at one tolerance, and their overall sparsity (of the rounded levels). */
function atTolerance(ladder: readonly number[], layers: readonly LayerCurve[], tolerance: number): Proposal {
  const levels: Record<string, number> = {};
  let zeros = 0;
  let total = 0;
  for (const layer of layers) {
    const level = round4(levelWithin(ladder, layer.drops, tolerance));
    levels[layer.name] = level;
    zeros += level * layer.params;
    total += layer.params;
  }
  return { levels, sparsity: total ? zeros / total : 0, tolerance };
}

/**
 * Per-layer sparsities from the scan of `layers` over `ladder` (ascending, in (0, 1)): with
 * `maxDrop`, each layer at the highest level within it; with `sparsity`, the smallest shared
 * tolerance whose levels reach it overall (found by bisection). Undefined when even the top rung
 * of every layer falls short of the target sparsity.
 */
export function proposeLevels(ladder: readonly number[], layers: readonly LayerCurve[], target: ProposalTarget): Proposal | undefined {
  if ('maxDrop' in target) return atTolerance(ladder, layers, target.maxDrop);
  const top = Math.max(0, ...layers.flatMap((l) => envelope(l.drops)));
  const reaches = (p: Proposal) => p.sparsity >= target.sparsity - 1e-9;
  let high = atTolerance(ladder, layers, top);
  if (!reaches(high)) return undefined;
  let low = 0;
  const at0 = atTolerance(ladder, layers, 0);
  if (reaches(at0)) return at0;
  let hi = top;
  for (let i = 0; i < 60 && hi - low > 1e-9; i++) {
    const mid = (low + hi) / 2;
    const p = atTolerance(ladder, layers, mid);
    if (reaches(p)) [hi, high] = [mid, p];
    else low = mid;
  }
  return high;
}
