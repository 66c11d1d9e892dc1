import { chooseQuantization, dequantizeValues, quantizeValues } from './quantize.js';
import type { QuantizationSpec } from './quantize.js';

/** How k-means places its first centroids: linear over [min, max] (Han et al.'s default), by density (quantiles), or k-means++. */
export type ClusterInit = 'linear' | 'density' | 'kmeans++';

/** The affine grid centroids are snapped to (that of a later uint8/uint16 export), or none. */
export type ClusterGrid = 'uint8' | 'uint16' | 'none';

/** Settings of {@link clusterValues}. */
export interface ClusterOptions {
  /** Distinct values the result may hold, the pinned zero included (2…256). */
  clusters: number;
  init: ClusterInit;
  /** Zeros form a cluster of their own that stays exactly 0; nonzero values never join it. */
  preserveSparsity: boolean;
  grid: ClusterGrid;
  /** Uniform numbers in [0, 1) for k-means++ (a seeded PRNG). */
  random: () => number;
  /** Lloyd iterations at most (default 100). */
  maxIterations?: number;
}

/** The result of clustering one tensor. */
export interface Clustering {
  /** The shared values (index = cluster id), ascending after the pinned zero if any. */
  centroids: Float32Array;
  /** Cluster id of every element. */
  assignments: Uint8Array;
  /** Cluster 0 is the pinned zero: training never moves it. */
  pinnedZero: boolean;
  /** The grid the centroids lie on: a later quantize stage chooses this same spec. */
  grid?: QuantizationSpec;
}

/**
 * 1-D k-means weight sharing of `values` (Deep Compression, Han et al. 2016): at most
 * `clusters` distinct values, centroids snapped to the export's affine grid so that the stock
 * loader decodes exactly them. Deterministic given `random`.
 */
export function clusterValues(values: Float32Array, options: ClusterOptions): Clustering {
  const pin = options.preserveSparsity && values.some((v) => v === 0);
  const sorted = Float64Array.from(pin ? values.filter((v) => v !== 0) : values).sort();
  const free = pin ? options.clusters - 1 : options.clusters;
  let centroids = sorted.length === 0 ? [] : lloyd(sorted, initialCentroids(sorted, free, options), options.maxIterations ?? 100);
  let grid: QuantizationSpec | undefined;
  if (options.grid !== 'none' && centroids.length > 0) ({ spec: grid, snapped: centroids } = snapToGrid(centroids, options.grid, pin));
  return relabel(values, centroids, pin, grid);
}

/** The k starting centroids, ascending and distinct, of sorted `values`. */
export function initialCentroids(sorted: Float64Array, k: number, options: Pick<ClusterOptions, 'init' | 'random'>): number[] {
  const n = sorted.length;
  const lo = sorted[0]!;
  const hi = sorted[n - 1]!;
  let out: number[];
  if (options.init === 'linear') out = Array.from({ length: k }, (_, j) => (k === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * j) / (k - 1)));
  else if (options.init === 'density') out = Array.from({ length: k }, (_, j) => sorted[Math.min(n - 1, Math.floor(((j + 0.5) / k) * n))]!);
  else out = kmeansPlusPlus(sorted, k, options.random);
  return [...new Set(out)].sort((a, b) => a - b);
}

function kmeansPlusPlus(sorted: Float64Array, k: number, random: () => number): number[] {
  const chosen = [sorted[Math.floor(random() * sorted.length)]!];
  const d2 = sorted.map((v) => (v - chosen[0]!) ** 2);
  while (chosen.length < k) {
    let total = 0;
    for (const d of d2) total += d;
    if (total === 0) break;
    let target = random() * total;
    let i = 0;
    while (i < d2.length - 1 && (target -= d2[i]!) > 0) i++;
    const c = sorted[i]!;
    chosen.push(c);
    for (let j = 0; j < d2.length; j++) d2[j] = Math.min(d2[j]!, (sorted[j]! - c) ** 2);
  }
  return chosen;
}

/** Index of the first element of sorted `a` that is ≥ x. */
function lowerBound(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Lloyd's iterations on sorted 1-D data: each cluster is a run of the sorted values between
 * midpoints of neighbouring centroids, so a prefix sum gives every mean in O(k log n).
 */
function lloyd(sorted: Float64Array, start: number[], maxIterations: number): number[] {
  const prefix = new Float64Array(sorted.length + 1);
  for (let i = 0; i < sorted.length; i++) prefix[i + 1] = prefix[i]! + sorted[i]!;
  let c = start;
  for (let iter = 0; iter < maxIterations; iter++) {
    const next = c.map((value, j) => {
      const from = j === 0 ? 0 : lowerBound(sorted, (c[j - 1]! + value) / 2);
      const to = j === c.length - 1 ? sorted.length : lowerBound(sorted, (value + c[j + 1]!) / 2);
      // An empty cluster keeps its centroid.
      return to > from ? (prefix[to]! - prefix[from]!) / (to - from) : value;
    });
    const moved = next.some((v, j) => v !== c[j]);
    c = [...new Set(next)].sort((a, b) => a - b);
    if (!moved) break;
  }
  return c;
}

/**
 * Snaps centroids to the grid `chooseQuantization` picks for the tensor they will make up. That
 * grid depends on the tensor's min and max, which snapping moves, so it is iterated to a fixed
 * point: the spec chosen over the snapped values is the one they were snapped to.
 */
export function snapToGrid(centroids: number[], dtype: 'uint8' | 'uint16', withZero: boolean): { spec: QuantizationSpec; snapped: number[] } {
  const tensorOf = (c: number[]) => Float32Array.from(withZero ? [...c, 0] : c);
  let spec = chooseQuantization(tensorOf(centroids), dtype);
  for (let iter = 0; iter < 32; iter++) {
    const snapped = [...new Set(dequantizeValues(quantizeValues(Float32Array.from(centroids), spec), spec))].sort((a, b) => a - b);
    const again = chooseQuantization(tensorOf(snapped), dtype);
    if (again.min === spec.min && again.scale === spec.scale) return { spec, snapped };
    spec = again;
  }
  throw new Error(`internal error: snapping ${centroids.length} centroids to the ${dtype} grid did not settle`);
}

/** Assigns every value to its nearest centroid (ties upwards) and numbers the clusters. */
function relabel(values: Float32Array, centroids: number[], pin: boolean, grid: QuantizationSpec | undefined): Clustering {
  const offset = pin ? 1 : 0;
  const bounds = centroids.slice(1).map((c, j) => (centroids[j]! + c) / 2);
  const assignments = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (pin && v === 0) continue;
    let j = lowerBound(bounds, v);
    if (j < bounds.length && bounds[j] === v) j++;
    assignments[i] = offset + j;
  }
  const zero = centroids.indexOf(0);
  if (!pin || zero < 0) return { centroids: Float32Array.from(pin ? [0, ...centroids] : centroids), assignments, pinnedZero: pin, ...(grid ? { grid } : {}) };
  // A free centroid snapped onto zero holds zeros: its members join the pinned cluster.
  for (let i = 0; i < assignments.length; i++) {
    const a = assignments[i]!;
    if (a === offset + zero) assignments[i] = 0;
    else if (a > offset + zero) assignments[i] = a - 1;
  }
  return { centroids: Float32Array.from([0, ...centroids.filter((c) => c !== 0)]), assignments, pinnedZero: true, ...(grid ? { grid } : {}) };
}

/** The clustered tensor: every element its cluster's value. */
export function sharedValues(c: Pick<Clustering, 'centroids' | 'assignments'>): Float32Array {
  const out = new Float32Array(c.assignments.length);
  for (let i = 0; i < out.length; i++) out[i] = c.centroids[c.assignments[i]!]!;
  return out;
}
