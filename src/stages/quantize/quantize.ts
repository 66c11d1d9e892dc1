import { chooseQuantization, dequantizeValues, quantizeValues } from '../../compress/quantize.js';
import type { QuantizationDtype } from '../../compress/quantize.js';
import { keyedWeights, readWeight, selectLayers, writeWeight } from '../../model/weights.js';
import type { QuantizeStage, StageParams } from '../../recipe/types.js';
import { nextState } from '../../state/codecs.js';
import type { QuantizationError } from '../../types/records.js';
import { QUANTIZATION_ERROR_KIND, quantizationErrorCodec, reconstructionError } from './quantization-error.js';
import type { StageDefinition, StageResult } from '../types.js';

/** Fields of a `quantize` stage, generated from the schema. */
export type QuantizeParams = StageParams<QuantizeStage>;

// Compile-time check against drift: the schema's dtypes are ones the quantizer implements.
type Assignable<T extends U, U> = T;
type _DtypeCovered = Assignable<QuantizeParams['weights']['dtype'], QuantizationDtype>;

/**
 * `quantize`: stores float32 weights as uint8/uint16 (affine, per tensor) or float16 in the stock
 * TF.js manifest format. The model keeps the dequantized values, so every later evaluation
 * measures exactly what a user of the exported model gets.
 */
export const quantizeStage: StageDefinition<QuantizeParams> = {
  type: 'quantize',
  version: 2,
  description: 'Quantizes weights to uint8, uint16 or float16 in the stock TF.js weights-manifest format.',
  properties: {
    weights: {
      type: 'object',
      description: 'Weight quantization.',
      properties: {
        dtype: { enum: ['uint8', 'uint16', 'float16'], default: 'uint8', description: 'Stored dtype (default uint8).' },
        include: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Layers to quantize (default all): name, "re:<regex>", "type:<ClassName>".' },
        exclude: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Layers to keep in float32.' },
        keepLarger: { type: 'boolean', default: false, description: 'Quantize even tensors that quantizing makes larger (a tiny bias whose manifest entry outweighs the bytes saved); default false: they stay float32.' },
        maxRelativeError: { type: 'number', exclusiveMinimum: 0, default: 0.05, description: 'A tensor whose RMS reconstruction error exceeds this fraction of its RMS stays float32 (default 0.05; typical uint8 error is under 0.01, so only tensors with extreme outliers are kept).' },
      },
      additionalProperties: false,
      default: { dtype: 'uint8', include: [], exclude: [], keepLarger: false, maxRelativeError: 0.05 },
    },
  },
  selectors: [['weights', 'include'], ['weights', 'exclude']],
  graphModels: () => true,
  stateCodecs: [quantizationErrorCodec],
  async run(ctx): Promise<StageResult> {
    const { dtype, include, exclude, keepLarger, maxRelativeError } = ctx.params.weights;
    const { model } = ctx.input;
    const layers = new Set(selectLayers(model, include, exclude));
    const quantization = new Map(ctx.input.quantization);
    const errors = new Map((ctx.input[QUANTIZATION_ERROR_KIND] as Map<string, QuantizationError> | undefined) ?? []);
    let quantized = 0;
    let keptFloat = 0;
    for (const w of keyedWeights(model)) {
      if (!layers.has(w.layer) || w.variable.dtype !== 'float32') continue;
      const values = readWeight(w);
      const spec = chooseQuantization(values, dtype);
      const stored = quantizeValues(values, spec);
      const decoded = dequantizeValues(stored, spec);
      const error = reconstructionError(values, decoded, spec, stored.BYTES_PER_ELEMENT);
      // Defaults that cost nothing: a tensor quantizing makes larger, or distorts past the bound, stays float32 (and the report says so).
      const kept = error.larger && !keepLarger ? 'larger' : error.relative > maxRelativeError ? 'error' : undefined;
      errors.set(w.key, kept ? { ...error, keptFloat: kept } : error);
      if (kept) {
        keptFloat++;
        continue;
      }
      writeWeight(w, decoded);
      quantization.set(w.key, spec);
      quantized += values.length;
    }
    const all = [...errors.values()];
    return {
      state: nextState(ctx.input, { quantization, [QUANTIZATION_ERROR_KIND]: errors }),
      metrics: {
        quantizedParams: quantized,
        maxRelativeQuantizationError: Math.max(0, ...all.filter((e) => !e.keptFloat).map((e) => e.relative)),
        largerQuantizedTensors: all.filter((e) => e.larger && !e.keptFloat).length,
        floatTensors: keptFloat,
      },
    };
  },
};
