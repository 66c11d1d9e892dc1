import { adaptBatchNorm } from '../../model/bn-adapt.js';
import type { CondenseModel } from '../../model/kind.js';
import { isGraphModel } from '../../model/graph/editable.js';
import type { Dataset } from '../../data/types.js';
import type { JsonSchema } from '../types.js';

/** Batches BN adaptation reads when the stage does not say (NNCF's default is about 2,000 examples). */
export const DEFAULT_BN_BATCHES = 16;

/**
 * Schema of `bnAdaptation`, a field of the stages that change weights (train, finetune, prune,
 * distill). No schema default: an absent field stays out of the fingerprint of models without BN.
 */
export const bnAdaptationProperty: JsonSchema = {
  type: 'object',
  description: `After the stage, re-estimate the moving mean and variance of every BatchNormalization layer on the first \`batches\` training batches of \`batchSize\` (inference mode, exact per-channel statistics, layer after layer). On by default (${DEFAULT_BN_BATCHES} batches) when the model has BatchNormalization; batches 0 turns it off. The stage's metrics say when it ran (bnAdaptedLayers, bnAdaptationExamples).`,
  properties: {
    batches: { type: 'integer', minimum: 0, maximum: 100000, description: `Training batches to estimate on (default ${DEFAULT_BN_BATCHES}; 0: off).` },
  },
  additionalProperties: false,
};

/** The stage fields BN adaptation reads. */
export interface BnAdaptationParams {
  bnAdaptation?: { batches?: number };
  batchSize: number;
}

/**
 * Runs BN adaptation on the stage's result model as `params` ask; the metrics to record: how many
 * BN layers it re-estimated on how many examples, or nothing when it did not run (no BN, turned
 * off, a GraphModel).
 */
export function adaptAfterStage(model: CondenseModel, data: Dataset, params: BnAdaptationParams): Record<string, number> {
  const batches = params.bnAdaptation?.batches ?? DEFAULT_BN_BATCHES;
  if (batches === 0 || isGraphModel(model)) return {};
  const done = adaptBatchNorm(model, data, batches, params.batchSize);
  return done.layers ? { bnAdaptedLayers: done.layers, bnAdaptationExamples: done.examples } : {};
}
