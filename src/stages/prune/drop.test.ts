import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers.js';
import { layerInbound } from '../../compress/depgraph/describe.js';
import { buildBuiltinModel } from '../../model/builtin.js';
import { freshTestState, testPruneParams, testStageContext } from '../testing.js';
import type { PruneParams } from './prune.js';
import { pruneStage } from './prune.js';

const params = (drop: string[], over: Partial<PruneParams> = {}): PruneParams => testPruneParams({ method: 'layers', sparsity: undefined, drop, ...over });

const bert = () => buildBuiltinModel({ builtin: 'bert', dim: 8, layers: 2, heads: 2 }, [6], 2, 1, 20);
const paramsOf = (model: tf.LayersModel, prefix = '') => model.layers.filter((l) => l.name.startsWith(prefix)).reduce((n, l) => n + l.countParams(), 0);

function viewOf(model: tf.LayersModel) {
  const inbound = layerInbound(model);
  return { topology: 'functional' as const, layers: model.layers.map((l) => ({ name: l.name, className: l.getClassName(), inbound: inbound.get(l.name)! })) };
}

async function drop(model: tf.LayersModel, p: PruneParams, masks = new Map<string, Float32Array>()) {
  const result = await pruneStage.run(testStageContext(p, { ...freshTestState(model), masks }, {} as never));
  return { ...result, model: result.state.model as tf.LayersModel };
}

beforeAll(async () => {
  await useTestBackend();
});

describe('prune method layers', () => {
  it('drops a bert block: exactly its parameters gone, every other layer keeps its name and weights', async () => {
    const model = bert();
    const mask = new Float32Array(8 * 8).fill(1);
    const { model: smaller, metrics, state } = await drop(model, params(['block2']), new Map([['block2_ffn_output/kernel', new Float32Array(32 * 8)], ['block1_attention_output/kernel', mask]]));
    expect(smaller.layers.some((l) => l.name.startsWith('block2_'))).toBe(false);
    expect(paramsOf(smaller)).toBe(paramsOf(model) - paramsOf(model, 'block2_'));
    expect(metrics.removedLayers).toBe(model.layers.filter((l) => l.name.startsWith('block2_')).length);
    for (const layer of smaller.layers) {
      const before = model.getLayer(layer.name).getWeights().map((w) => Array.from(w.dataSync()));
      expect(layer.getWeights().map((w) => Array.from(w.dataSync())), layer.name).toEqual(before);
    }
    expect([...state.masks.keys()]).toEqual(['block1_attention_output/kernel']);
    const tokens = tf.tensor2d([[3, 4, 5, 0, 0, 0]]);
    expect((smaller.predict(tokens) as tf.Tensor).shape).toEqual([1, 2]);
  });

  it('drops the residual branch of one Add: the attention layers of that block go, its feed-forward stays', async () => {
    const model = bert();
    const { model: smaller } = await drop(model, params(['block1_attention_add']));
    const gone = model.layers.map((l) => l.name).filter((n) => !smaller.layers.some((l) => l.name === n));
    expect(gone.every((n) => /^block1_(head\d|heads|attention_output|attention_add)/.test(n))).toBe(true);
    expect(paramsOf(model) - paramsOf(smaller)).toBe(paramsOf(model, 'block1_head') + paramsOf(model, 'block1_attention_output'));
    expect(smaller.getLayer('block1_attention_norm').inboundNodes[0]!.inboundLayers[0]!.name).toBe('embedding_norm');
  });

  it('check refuses a target that is not a residual branch, at its place in `drop`, once the connections are known', () => {
    const model = bert();
    const problems = pruneStage.check!(params(['block2', 'block1_ffn_inner']), { model: viewOf(model), earlier: [], recipe: {} as never });
    expect(problems).toEqual([expect.objectContaining({ path: ['drop', 1], message: expect.stringContaining('cannot remove block1_ffn_inner: block1_ffn_inner is a Dense, not an Add') })]);
    const sequential = pruneStage.check!(params(['dense1']), { model: { topology: 'sequential' }, earlier: [], recipe: {} as never });
    expect(sequential[0]).toMatchObject({ path: ['method'], message: 'method layers removes residual branches, and a Sequential model has none' });
    const misplaced = pruneStage.check!(params(['block1'], { sparsity: 0.5 }), { model: viewOf(model), earlier: [], recipe: {} as never });
    expect(misplaced).toEqual([expect.objectContaining({ path: ['sparsity'], message: '"sparsity" does not apply to method layers' })]);
  });
});
