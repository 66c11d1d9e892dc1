import { brotliSize, filesSize, LATENCY_BATCH, latencyMs } from '../../model/inspect.js';
import { modelFiles } from '../../model/io.js';
import type { EvaluateStage, StageParams } from '../../recipe/types.js';
import type { StageDefinition, StageResult } from '../types.js';
import { BROWSER_SCHEMA, evaluateInBrowser } from './browser.js';

/** Metrics an `evaluate` stage can measure beyond those every stage reports. */
const EVALUATE_METRICS = ['sizeBytes', 'gzipBytes', 'brotliBytes', 'latencyMs', 'latencyMs32'] as const;

/** Fields of an `evaluate` stage, generated from the schema: `metrics` (of {@link EVALUATE_METRICS}), `latencyRuns`, `browser`. */
export type EvaluateParams = StageParams<EvaluateStage>;

/**
 * `evaluate`: measures the current model. Accuracy, loss and parameter counts are measured by
 * the runner after every stage; this adds exported size, gzipped and brotli-compressed size
 * (per file: what a server sends), batch-1 latency, and with `browser:` the model as exported
 * measured in headless Chromium.
 */
export const evaluateStage: StageDefinition<EvaluateParams> = {
  type: 'evaluate',
  version: 1,
  description: 'Measures the current model: accuracy, loss, params, sparsity, size, gzip and brotli size, latency.',
  properties: {
    metrics: {
      type: 'array',
      items: { enum: [...EVALUATE_METRICS] },
      uniqueItems: true,
      default: [...EVALUATE_METRICS],
      description: 'Extra metrics to measure (default all); accuracy, loss and params are always measured.',
    },
    latencyRuns: { type: 'integer', minimum: 1, maximum: 10000, default: 50, description: 'Batch-1 predictions timed for latencyMs (median; default 50); latencyMs32 times a fifth as many batch-32 predictions (at least 5).' },
    browser: BROWSER_SCHEMA,
  },
  changesModel: false,
  graphModels: () => true,
  async run(ctx): Promise<StageResult> {
    const wanted = new Set(ctx.params.metrics);
    const metrics: Record<string, number> = {};
    if (wanted.has('sizeBytes') || wanted.has('gzipBytes') || wanted.has('brotliBytes')) {
      const files = await modelFiles(ctx.input.model, ctx.input.quantization);
      const size = filesSize(files);
      if (wanted.has('sizeBytes')) metrics.sizeBytes = size.sizeBytes;
      if (wanted.has('gzipBytes')) metrics.gzipBytes = size.gzipBytes;
      if (wanted.has('brotliBytes')) metrics.brotliBytes = brotliSize(files);
    }
    if (wanted.has('latencyMs')) metrics.latencyMs = latencyMs(ctx.input.model, ctx.data, ctx.params.latencyRuns);
    if (wanted.has('latencyMs32')) metrics.latencyMs32 = latencyMs(ctx.input.model, ctx.data, Math.max(5, Math.ceil(ctx.params.latencyRuns / 5)), LATENCY_BATCH);
    const browser = ctx.params.browser ? await evaluateInBrowser(ctx, ctx.params.browser) : undefined;
    return { state: ctx.input, metrics, ...(browser ? { browser } : {}) };
  },
};
