import { brotliCompressSync, constants } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { modelFiles } from '../../model/io.js';
import { clusterStage } from '../cluster/cluster.js';
import { pruneStage } from '../prune/prune.js';
import { quantizeStage } from '../quantize/quantize.js';
import { mlpTestState, runTestStage, testPruneParams } from '../testing.js';
import { evaluateStage } from './evaluate.js';

let data: Dataset;
beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(400);
});

describe('evaluate: brotliBytes', () => {
  it('is every exported file compressed with brotli quality 11, measured independently here; below gzip on shared weights', async () => {
    const pruned = await runTestStage(pruneStage, testPruneParams({ sparsity: 0.9 }), mlpTestState(), data);
    const clustered = await runTestStage(clusterStage, { clusters: 16, init: 'linear', preserveSparsity: true, grid: 'uint8', include: [], exclude: [] }, pruned.state, data);
    const { state } = await runTestStage(quantizeStage, { weights: { dtype: 'uint8', include: [], exclude: [], keepLarger: true, maxRelativeError: 1 } }, clustered.state, data);
    const { metrics } = await runTestStage(evaluateStage, { metrics: ['sizeBytes', 'gzipBytes', 'brotliBytes'], latencyRuns: 1 }, state, data);
    const files = await modelFiles(state.model, state.quantization);
    const expected = [...files.values()].reduce((n, b) => n + brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length, 0);
    expect(metrics.brotliBytes).toBe(expected);
    expect(metrics.brotliBytes).toBeLessThan(metrics.gzipBytes!);
    expect(metrics.brotliBytes).toBeLessThan(metrics.sizeBytes! / 4);
  });
});
