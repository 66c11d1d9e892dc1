import { modelFiles } from '../../model/io.js';
import type { ExportStage, StageParams } from '../../recipe/types.js';
import type { StageDefinition, StageResult } from '../types.js';

/** Fields of an `export` stage, generated from the schema. */
export type ExportParams = StageParams<ExportStage>;

/** `export`: the current model in TF.js format, kept in the stage's checkpoint as `export/`. */
export const exportStage: StageDefinition<ExportParams> = {
  type: 'export',
  version: 1,
  description: 'Writes the current model in the TF.js format it came in: layers-model, or graph-model for a GraphModel (quantized weights as chosen).',
  properties: {
    format: { enum: ['layers-model', 'graph-model'], description: 'Output format (model.json + shards); default: the model\'s own, layers-model for a LayersModel, graph-model for a GraphModel. condense converts neither into the other.' },
  },
  changesModel: false,
  graphModels: (p) => (p.format === 'layers-model' ? 'format layers-model: condense does not convert a GraphModel to a layers model (leave format out, or set graph-model)' : true),
  check(p, { model }) {
    const layers = model.spec?.builtin !== undefined || (model.layers !== undefined && model.format !== 'graph');
    return p.format === 'graph-model' && layers
      ? [{ path: ['format'], message: 'format graph-model: condense does not convert a LayersModel to a graph model', hint: 'leave format out: a LayersModel is exported as a layers-model, which tf.loadLayersModel reads' }]
      : [];
  },
  async run(ctx): Promise<StageResult> {
    const files = await modelFiles(ctx.input.model, ctx.input.quantization);
    return { state: ctx.input, metrics: {}, artifacts: new Map([...files].map(([name, bytes]) => [`export/${name}`, bytes])) };
  },
};
