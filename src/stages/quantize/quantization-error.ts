import type { QuantizationSpec } from '../../compress/quantize.js';
import type { StateCodec } from '../../types/model-state.js';
import type { QuantizationError } from '../../types/records.js';

/** The kind of model state the quantize stage adds: each quantized weight's reconstruction error. */
export const QUANTIZATION_ERROR_KIND = 'quantizationError';

/** Persists {@link QUANTIZATION_ERROR_KIND}: tied to the weights, so training releases it with the quantization. */
export const quantizationErrorCodec: StateCodec<Map<string, QuantizationError>> = {
  kind: QUANTIZATION_ERROR_KIND,
  empty: () => new Map(),
  tiedToWeights: true,
  encode: (errors) => ({ json: Object.fromEntries(errors) }),
  decode: (json) => new Map(Object.entries(json as Record<string, QuantizationError>)),
};

/** Bytes a weight's `quantization` entry adds to model.json, e.g. `,"quantization":{"dtype":"uint8","min":…,"scale":…}`. */
function manifestEntryBytes(spec: QuantizationSpec): number {
  return `,"quantization":${JSON.stringify(spec)}`.length;
}

/**
 * How far the stored values are from the float32 ones: root-mean-square and largest absolute
 * error, the RMS error relative to the tensor's RMS, and whether storing it quantized makes the
 * download larger than float32 (a tiny tensor whose manifest entry outweighs the bytes saved).
 */
export function reconstructionError(values: Float32Array, decoded: Float32Array, spec: QuantizationSpec, storedBytesPerValue: number): QuantizationError {
  let squared = 0;
  let energy = 0;
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    const d = decoded[i]! - values[i]!;
    squared += d * d;
    energy += values[i]! * values[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(d));
  }
  const n = Math.max(1, values.length);
  const rmse = Math.sqrt(squared / n);
  const rms = Math.sqrt(energy / n);
  const saved = values.length * (4 - storedBytesPerValue);
  return { rmse, maxAbs, relative: rms > 0 ? rmse / rms : 0, ...(manifestEntryBytes(spec) > saved ? { larger: true } : {}) };
}
