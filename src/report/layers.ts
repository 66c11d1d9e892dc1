import type { LayerStats } from '../types/records.js';

/** One layer of the final model as the layer table shows it: its weights summed. */
export interface LayerRow {
  /** Position of the layer among the layers with weights, from 1 (model order). */
  index: number;
  name: string;
  className: string;
  /** Each weight's short name and shape: `kernel [784, 300]`. */
  weights: string[];
  params: number;
  nonzeroParams: number;
  /** Fraction of the layer's values that are zero. */
  sparsity: number;
  /** The dtypes its weights are stored as, distinct, in order: `uint8`, `float32`. */
  dtypes: string[];
  /** Largest relative quantization error of its weights, when a quantize stage stored any quantized. */
  maxQuantizationError?: number;
  /** Short names of its weights that quantizing made larger than float32. */
  larger: string[];
  /** Its weights the quantize stage left float32, each with why. */
  keptFloat: string[];
  bytes: number;
}

/** The layer table: the largest layers shown, the rest folded, and the sums over all layers. */
export interface LayerGroups {
  /** The `top` layers with the most params, in model order. */
  shown: LayerRow[];
  /** Every other layer, in model order (empty when all fit). */
  folded: LayerRow[];
  total: { layers: number; params: number; nonzeroParams: number; bytes: number };
}

/** Layers shown before the rest are folded, by default. */
export const TOP_LAYERS = 12;

/** A weight's name within its layer: `dense1/kernel` → `kernel`; keys outside the layer's prefix stay whole. */
function shortName(layer: string, key: string): string {
  return key.startsWith(`${layer}/`) ? key.slice(layer.length + 1) : key;
}

/** One row for a layer: its weights' params, nonzeros and bytes summed. */
export function layerRow(layer: LayerStats, index: number): LayerRow {
  const sum = (f: (w: LayerStats['weights'][number]) => number) => layer.weights.reduce((n, w) => n + f(w), 0);
  const params = sum((w) => w.params);
  const nonzeroParams = sum((w) => w.nonzeroParams);
  // A weight the quantize stage kept float32 is stored exactly: its error is what quantizing would have cost.
  const errors = layer.weights.flatMap((w) => (w.quantizationError && !w.quantizationError.keptFloat ? [w.quantizationError.relative] : []));
  return {
    index, name: layer.name, className: layer.className,
    weights: layer.weights.map((w) => `${shortName(layer.name, w.key)} [${w.shape.join(', ')}]`),
    params, nonzeroParams, sparsity: params ? 1 - nonzeroParams / params : 0,
    dtypes: [...new Set(layer.weights.map((w) => w.dtype))],
    ...(errors.length ? { maxQuantizationError: Math.max(...errors) } : {}),
    larger: layer.weights.filter((w) => w.quantizationError?.larger && !w.quantizationError.keptFloat).map((w) => shortName(layer.name, w.key)),
    keptFloat: layer.weights.filter((w) => w.quantizationError?.keptFloat).map((w) => `${shortName(layer.name, w.key)} (${w.quantizationError!.keptFloat === 'larger' ? 'uint8 would be larger' : 'error over maxRelativeError'})`),
    bytes: sum((w) => w.bytes),
  };
}

/**
 * Groups per-weight statistics by layer and keeps the `top` layers with the most params
 * (ties: the earlier layer), in model order; the others are folded. A table of `top + 1`
 * layers or fewer is shown whole: folding one row saves nothing.
 */
export function groupLayers(layers: LayerStats[], top = TOP_LAYERS): LayerGroups {
  const rows = layers.map((l, i) => layerRow(l, i + 1));
  const total = {
    layers: rows.length,
    params: rows.reduce((n, r) => n + r.params, 0),
    nonzeroParams: rows.reduce((n, r) => n + r.nonzeroParams, 0),
    bytes: rows.reduce((n, r) => n + r.bytes, 0),
  };
  if (rows.length <= top + 1) return { shown: rows, folded: [], total };
  const largest = new Set([...rows].sort((a, b) => b.params - a.params || a.index - b.index).slice(0, top).map((r) => r.index));
  return { shown: rows.filter((r) => largest.has(r.index)), folded: rows.filter((r) => !largest.has(r.index)), total };
}
