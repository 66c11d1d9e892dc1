import { LATENCY_BATCH, latencyMs, sizeStats } from '../../model/inspect.js';
import type { EvaluateStage, StageParams } from '../../recipe/types.js';
import type { StageDefinition, StageResult } from '../types.js';

/** Metrics an `evaluate` stage can measure beyond those every stage reports. */
const EVALUATE_METRICS = ['sizeBytes', 'gzipBytes', 'latencyMs', 'latencyMs32'] as const;

/** Fields of an `evaluate` stage, generated from the schema: `metrics` (of {@link EVALUATE_METRICS}), `latencyRuns`. */
export type EvaluateParams = StageParams<EvaluateStage>;

/**
 * `evaluate`: measures the current model. Accuracy, loss and parameter counts are measured by
 * the runner after every stage; this adds exported size, gzipped size and batch-1 latency.
 */
export const evaluateStage: StageDefinition<EvaluateParams> = {
  type: 'evaluate',
  version: 1,
  description: 'Measures the current model: accuracy, loss, params, sparsity, size, gzip size, latency.',
  properties: {
    metrics: {
      type: 'array',
      items: { enum: [...EVALUATE_METRICS] },
      uniqueItems: true,
      default: [...EVALUATE_METRICS],
      description: 'Extra metrics to measure (default all); accuracy, loss and params are always measured.',
    },
    latencyRuns: { type: 'integer', minimum: 1, maximum: 10000, default: 50, description: 'Batch-1 predictions timed for latencyMs (median; default 50); latencyMs32 times a fifth as many batch-32 predictions (at least 5).' },
  },
  changesModel: false,
  graphModels: () => true,
  async run(ctx): Promise<StageResult> {
    const wanted = new Set(ctx.params.metrics);
    const metrics: Record<string, number> = {};
    if (wanted.has('sizeBytes') || wanted.has('gzipBytes')) {
      const size = await sizeStats(ctx.input);
      if (wanted.has('sizeBytes')) metrics.sizeBytes = size.sizeBytes;
      if (wanted.has('gzipBytes')) metrics.gzipBytes = size.gzipBytes;
    }
    if (wanted.has('latencyMs')) metrics.latencyMs = latencyMs(ctx.input.model, ctx.data, ctx.params.latencyRuns);
    if (wanted.has('latencyMs32')) metrics.latencyMs32 = latencyMs(ctx.input.model, ctx.data, Math.max(5, Math.ceil(ctx.params.latencyRuns / 5)), LATENCY_BATCH);
    return { state: ctx.input, metrics };
  },
};
