import { modelFiles } from '../../model/io.js';
import type { ExportStage, StageParams } from '../../recipe/types.js';
import type { StageDefinition, StageResult } from '../types.js';

/** Fields of an `export` stage, generated from the schema. */
export type ExportParams = StageParams<ExportStage>;

/** `export`: the current model in TF.js format, kept in the stage's checkpoint as `export/`. */
export const exportStage: StageDefinition<ExportParams> = {
  type: 'export',
  version: 1,
  description: 'Writes the current model in TF.js layers-model format (quantized weights as chosen).',
  properties: {
    format: { enum: ['layers-model'], default: 'layers-model', description: 'Output format: layers-model (model.json + shards).' },
  },
  changesModel: false,
  async run(ctx): Promise<StageResult> {
    const files = await modelFiles(ctx.input.model, ctx.input.quantization);
    return { state: ctx.input, metrics: {}, artifacts: new Map([...files].map(([name, bytes]) => [`export/${name}`, bytes])) };
  },
};
