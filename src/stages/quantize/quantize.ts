import { chooseQuantization, dequantizeValues, quantizeValues } from '../../compress/quantize.js';
import type { QuantizationDtype } from '../../compress/quantize.js';
import { keyedWeights, readWeight, selectLayers, writeWeight } from '../../model/weights.js';
import type { QuantizeStage, StageParams } from '../../recipe/types.js';
import { nextState } from '../../state/codecs.js';
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
  version: 1,
  description: 'Quantizes weights to uint8, uint16 or float16 in the stock TF.js weights-manifest format.',
  properties: {
    weights: {
      type: 'object',
      description: 'Weight quantization.',
      properties: {
        dtype: { enum: ['uint8', 'uint16', 'float16'], default: 'uint8', description: 'Stored dtype (default uint8).' },
        include: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Layers to quantize (default all): name, "re:<regex>", "type:<ClassName>".' },
        exclude: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Layers to keep in float32.' },
      },
      additionalProperties: false,
      default: { dtype: 'uint8', include: [], exclude: [] },
    },
  },
  selectors: [['weights', 'include'], ['weights', 'exclude']],
  async run(ctx): Promise<StageResult> {
    const { dtype, include, exclude } = ctx.params.weights;
    const { model } = ctx.input;
    const layers = new Set(selectLayers(model, include, exclude));
    const quantization = new Map(ctx.input.quantization);
    let quantized = 0;
    for (const w of keyedWeights(model)) {
      if (!layers.has(w.layer) || w.variable.dtype !== 'float32') continue;
      const values = readWeight(w);
      const spec = chooseQuantization(values, dtype);
      const decoded = dequantizeValues(quantizeValues(values, spec), spec);
      writeWeight(w, decoded);
      quantization.set(w.key, spec);
      quantized += values.length;
    }
    return { state: nextState(ctx.input, { quantization }), metrics: { quantizedParams: quantized } };
  },
};
