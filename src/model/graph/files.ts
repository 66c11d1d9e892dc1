import type { QuantizationSpec } from '../../compress/quantize.js';
import { weightShards } from '../weight-files.js';
import type { EditableGraphModel } from './editable.js';
import { encodeFloatWeights } from './editable.js';

/**
 * A graph model as files in the stock TF.js graph-model format: its model.json as it came (the
 * topology, signature and initializer untouched), with the current weights, those with a
 * quantization spec (by weight name) stored quantized.
 * @param convertedBy written into model.json's `convertedBy`.
 */
export function graphModelFiles(model: EditableGraphModel, quantization: Map<string, QuantizationSpec>, convertedBy: string): Map<string, Uint8Array> {
  const { weightSpecs, weightData } = encodeFloatWeights(model.weightTensors());
  const data = new Uint8Array(weightData);
  let offset = 0;
  const weights = weightSpecs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1) * (spec.dtype === 'bool' ? 1 : 4);
    const bytes = data.subarray(offset, offset + size);
    offset += size;
    return { spec, bytes, quantization: quantization.get(spec.name) };
  });
  const { manifest, shards } = weightShards(weights);
  const json = { ...model.json, format: 'graph-model', convertedBy, weightsManifest: manifest };
  return new Map([['model.json', new TextEncoder().encode(JSON.stringify(json))], ...shards]);
}
