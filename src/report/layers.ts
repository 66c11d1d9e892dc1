import type { QuantizationSpec } from '../compress/quantize.js';
import { keyedWeights } from '../model/weights.js';
import type { ModelState } from '../stages/types.js';

/** One weight of the final model as exported. */
export interface WeightStats {
  /** `layer/weight`, e.g. `dense1/kernel`. */
  key: string;
  shape: number[];
  params: number;
  nonzeroParams: number;
  /** Fraction of this weight's values that are zero. */
  sparsity: number;
  /** dtype as stored in the weight file: float32, int32, or the quantized uint8 / uint16 / float16. */
  dtype: string;
  /** The manifest's quantization entry, for quantized weights. */
  quantization?: QuantizationSpec;
  /** Bytes of this weight in the weight shards. */
  bytes: number;
}

/** A layer of the final model with its weights (layers without weights are left out). */
export interface LayerStats {
  name: string;
  className: string;
  weights: WeightStats[];
}

const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

/** Per-layer, per-weight statistics of a model state, as its export stores it. */
export function layerStats(state: ModelState): LayerStats[] {
  const layers = new Map<string, LayerStats>();
  for (const w of keyedWeights(state.model)) {
    const values = w.variable.read().dataSync();
    let nonzero = 0;
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) nonzero++;
    // modelFiles quantizes only float32 weights; others are stored as they are.
    const q = w.variable.dtype === 'float32' ? state.quantization.get(w.key) : undefined;
    const dtype = q?.dtype ?? w.variable.dtype;
    const layer = layers.get(w.layer.name) ?? { name: w.layer.name, className: w.layer.getClassName(), weights: [] };
    layers.set(w.layer.name, layer);
    layer.weights.push({
      key: w.key,
      shape: [...w.variable.shape] as number[],
      params: values.length,
      nonzeroParams: nonzero,
      sparsity: values.length ? (values.length - nonzero) / values.length : 0,
      dtype,
      ...(q ? { quantization: { ...q } } : {}),
      bytes: values.length * (STORED_BYTES[dtype] ?? 4),
    });
  }
  return [...layers.values()];
}
