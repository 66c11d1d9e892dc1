import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { modelFiles } from '../../model/io.js';
import { keyedWeights, readWeight } from '../../model/weights.js';
import { decodeParts, encodeParts } from '../../state/codecs.js';
import { finetuneStage } from '../finetune/finetune.js';
import { pruneStage } from '../prune/prune.js';
import { quantizeStage } from '../quantize/quantize.js';
import { CONSTANT_LR, mlpTestState, runTestStage, TEST_ADAM, testPruneParams } from '../testing.js';
import { trainStage } from '../train/train.js';
import type { ModelState } from '../types.js';
import { clusterStage } from './cluster.js';
import type { ClusterParams } from './cluster.js';
import { clustersCodec } from './ties.js';
import type { ClustersState } from './ties.js';

let data: Dataset;
beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(600);
});

const KERNELS = ['dense1/kernel', 'output/kernel'];
// Stages change the model in place: values are read before the next stage runs.
const snapshot = (state: ModelState) => new Map(KERNELS.map((k) => [k, kernel(state, k)]));
const params = (over: Partial<ClusterParams> = {}): ClusterParams => ({ clusters: 8, init: 'linear', preserveSparsity: true, grid: 'uint8', include: [], exclude: [], ...over });
const training = { epochs: 1, batchSize: 32, optimizer: TEST_ADAM, lrSchedule: CONSTANT_LR };
const kernel = (state: ModelState, key: string) => readWeight(keyedWeights(state.model).find((w) => w.key === key)!);
const distinct = (values: Float32Array) => new Set(values).size;

async function prunedAndClustered(over: Partial<ClusterParams> = {}) {
  const pruned = await runTestStage(pruneStage, testPruneParams({ sparsity: 0.75 }), mlpTestState(), data);
  const prunedValues = snapshot(pruned.state);
  const clustered = await runTestStage(clusterStage, params(over), pruned.state, data);
  return { prunedValues, clustered, clusteredValues: snapshot(clustered.state) };
}

describe('cluster', () => {
  it('gives each kernel at most K values, keeps pruned weights zero and records the ties', async () => {
    const { prunedValues, clustered } = await prunedAndClustered();
    const ties = clustered.state.clusters as ClustersState;
    expect([...ties.keys()]).toEqual(KERNELS);
    for (const key of KERNELS) {
      const before = prunedValues.get(key)!;
      const after = kernel(clustered.state, key);
      expect(distinct(after)).toBeLessThanOrEqual(8);
      expect(distinct(after)).toBeGreaterThan(4);
      for (let i = 0; i < before.length; i++) if (before[i] === 0) expect(after[i]).toBe(0);
    }
    expect(clustered.metrics.clusteredParams).toBe(784 * 16 + 16 * 10);
    // The ties survive a checkpoint bit for bit.
    const files = encodeParts({ clusters: ties } as never, () => clustersCodec as never, 'x/');
    expect(decodeParts(files, () => clustersCodec as never, ['clusters'], 'x/').clusters).toEqual(ties);
  });

  it('per-layer clusters by selector; unselected layers are left alone', async () => {
    const { prunedValues, clustered } = await prunedAndClustered({ clusters: { dense1: 4 } });
    expect(distinct(kernel(clustered.state, 'dense1/kernel'))).toBeLessThanOrEqual(4);
    expect(kernel(clustered.state, 'output/kernel')).toEqual(prunedValues.get('output/kernel'));
    expect([...(clustered.state.clusters as ClustersState).keys()]).toEqual(['dense1/kernel']);
  });

  it('finetune keeps the ties (≤ K values, zeros pinned) while centroids move; train releases them', async () => {
    const { clustered, clusteredValues } = await prunedAndClustered();
    const tuned = await runTestStage(finetuneStage, training, clustered.state, data);
    expect(tuned.state.clusters).toBe(clustered.state.clusters);
    for (const key of KERNELS) {
      const before = clusteredValues.get(key)!;
      const after = kernel(tuned.state, key);
      expect(distinct(after)).toBeLessThanOrEqual(8);
      expect(after).not.toEqual(before);
      for (let i = 0; i < before.length; i++) if (before[i] === 0) expect(after[i]).toBe(0);
      // Members of one cluster before are still one value after.
      const { assignments } = (clustered.state.clusters as ClustersState).get(key)!;
      const byCluster = new Map<number, Set<number>>();
      for (let i = 0; i < after.length; i++) byCluster.set(assignments[i]!, (byCluster.get(assignments[i]!) ?? new Set()).add(after[i]!));
      for (const values of byCluster.values()) expect(values.size).toBe(1);
    }
    const trained = await runTestStage(trainStage, training, tuned.state, data);
    expect((trained.state.clusters as ClustersState).size).toBe(0);
  });

  it('cluster, quantize uint8, export: the stock loader decodes exactly the clustered values', async () => {
    const { clustered, clusteredValues } = await prunedAndClustered({ clusters: 16 });
    const quantized = await runTestStage(quantizeStage, { weights: { dtype: 'uint8', include: [], exclude: [], keepLarger: true, maxRelativeError: 1 } }, clustered.state, data);
    const files = await modelFiles(quantized.state.model, quantized.state.quantization);
    const json = JSON.parse(new TextDecoder().decode(files.get('model.json')!));
    const shards = json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => files.get(p)!));
    const weightData = new Uint8Array(shards.reduce((n: number, s: Uint8Array) => n + s.length, 0));
    shards.reduce((o: number, s: Uint8Array) => (weightData.set(s, o), o + s.length), 0);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights), weightData: weightData.buffer,
    }));
    // The loaded model's layers carry new names (dense1_1, ...): weights are compared in order.
    const decodedKernels = loaded.layers.filter((l) => l.getWeights().length).map((l) => l.getWeights()[0]!.dataSync() as Float32Array);
    KERNELS.forEach((key, i) => {
      const decoded = decodedKernels[i]!;
      expect(distinct(decoded)).toBeLessThanOrEqual(16);
      expect(decoded.filter((v) => v === 0).length).toBe(clusteredValues.get(key)!.filter((v) => v === 0).length);
      expect(decoded).toEqual(clusteredValues.get(key));
    });
    loaded.dispose();
  });

  it('check: a key of a clusters map that matches no layer is located at that key', () => {
    const model = { layers: [{ name: 'dense1', className: 'Dense' }, { name: 'output', className: 'Dense' }] };
    const problems = clusterStage.check!(params({ clusters: { dense1: 8, dense9: 4 } }), { model, earlier: [], recipe: {} as never });
    expect(problems).toEqual([expect.objectContaining({ path: ['clusters', 'dense9'], key: true, message: 'selector "dense9" matches no layer' })]);
    expect(clusterStage.check!(params({ clusters: { 'type:Dense': 8 } }), { model, earlier: [], recipe: {} as never })).toEqual([]);
  });

  it('is deterministic given the seed (kmeans++ included)', async () => {
    const a = await prunedAndClustered({ init: 'kmeans++' });
    const b = await prunedAndClustered({ init: 'kmeans++' });
    expect(a.clusteredValues).toEqual(b.clusteredValues);
    expect(a.clusteredValues.get('dense1/kernel')).not.toEqual(a.prunedValues.get('dense1/kernel'));
  });
});
