import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { GZIP_LEVEL } from '../../model/inspect.js';
import { modelFiles } from '../../model/io.js';
import { exportStage } from '../export/export.js';
import { pruneStage } from '../prune/prune.js';
import { mlpTestState, runTestStage, testPruneParams } from '../testing.js';
import { evaluateStage } from './evaluate.js';

let data: Dataset;
const shardBytes = (files: Map<string, Uint8Array>) => [...files].filter(([n]) => n !== 'model.json').reduce((n, [, b]) => n + b.length, 0);
beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(800);
});

describe('evaluate', () => {
  it('measures the exported size exactly, its quantization applied; export returns the model files', async () => {
    // Pruned, so that the weights compress and gzip's level shows in gzipBytes.
    const { state } = await runTestStage(pruneStage, testPruneParams({ sparsity: 0.75 }), mlpTestState(), data);
    state.quantization.set('dense1/kernel', { dtype: 'float16' });
    const { metrics } = await runTestStage(evaluateStage, { metrics: ['sizeBytes', 'gzipBytes', 'latencyMs'], latencyRuns: 5 }, state, data);
    const { artifacts } = await runTestStage(exportStage, { format: 'layers-model' }, state, data);
    const total = [...artifacts!.values()].reduce((n, b) => n + b.length, 0);
    expect(metrics.sizeBytes).toBe(total);
    expect([...artifacts!.keys()]).toContain('export/model.json');
    // float16 halves the weight bytes of dense1/kernel (784·16 values); model.json gains its manifest entry.
    const files = await modelFiles(state.model, state.quantization);
    const float32 = await modelFiles(state.model);
    expect(metrics.sizeBytes! - files.get('model.json')!.length).toBe(shardBytes(float32) - 784 * 16 * 2);
    // gzipBytes: each exported file gzipped on its own at GZIP_LEVEL, computed here independently.
    const gzipped = [...files.values()].reduce((n, b) => n + gzipSync(b, { level: GZIP_LEVEL }).length, 0);
    expect(metrics.gzipBytes).toBe(gzipped);
    expect(metrics.gzipBytes).toBeGreaterThan(0);
    expect(metrics.gzipBytes).toBeLessThan(metrics.sizeBytes! * 0.8);
    expect(Number.isFinite(metrics.latencyMs)).toBe(true);
    expect(metrics.latencyMs).toBeGreaterThan(0);
  });

  it('measures only the metrics asked for, and hands its input on', async () => {
    const state = mlpTestState();
    const result = await runTestStage(evaluateStage, { metrics: ['gzipBytes'], latencyRuns: 5 }, state, data);
    expect(Object.keys(result.metrics)).toEqual(['gzipBytes']);
    expect(result.state).toBe(state);
    expect((await runTestStage(evaluateStage, { metrics: [], latencyRuns: 5 }, state, data)).metrics).toEqual({});
  });
});
