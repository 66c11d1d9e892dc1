// Attention heads and feed-forward neurons of the bert builtin: found on the connections, removed
// for real, and the smaller model computing exactly what the original computes with those heads
// silenced.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers.js';
import { buildBuiltinModel } from '../../model/builtin.js';
import { describeModel } from './describe.js';
import { connectedLayers } from './drop-model.js';
import { channelGroups } from './graph.js';
import { findAttentions, findFeedForward } from './heads.js';
import { headImportance, pruneHeads } from './heads-model.js';
import { weightValues } from './prune-channels.js';

const bert = (heads: number) => buildBuiltinModel({ builtin: 'bert', dim: 12, heads, layers: 2 } as never, [7], 3, 5, 20);
const tokens = () => tf.tensor2d([[1, 4, 9, 2, 0, 0, 3], [5, 5, 6, 7, 8, 19, 1]], [2, 7], 'int32');
const weightsOf = (model: tf.LayersModel, layer: string) => model.getLayer(layer).getWeights();

beforeAll(async () => {
  await useTestBackend();
});

describe('attention heads', () => {
  it('finds each block\'s heads with the layers only that head uses, and the feed-forward layers', () => {
    const { layers } = connectedLayers(bert(3));
    const attentions = findAttentions(layers);
    expect(attentions.map((a) => [a.join, a.projection, a.heads.length])).toEqual([
      ['block1_heads', 'block1_attention_output', 3], ['block2_heads', 'block2_attention_output', 3]]);
    expect(attentions[0]!.heads[1]).toEqual({
      output: 'block1_head2_context',
      layers: ['block1_head2_query', 'block1_head2_key', 'block1_head2_scores', 'block1_head2_attention', 'block1_head2_value', 'block1_head2_context'],
      projections: ['block1_head2_query', 'block1_head2_key', 'block1_head2_value'],
    });
    expect(findFeedForward(layers)).toEqual(['block1_ffn_inner', 'block2_ffn_inner']);
  });

  it('couples a head\'s query and key channels through their product, and its values with its rows of the join', () => {
    const groups = channelGroups(describeModel(bert(2)));
    const qk = groups.find((g) => g.producers.join() === 'block1_head2_query,block1_head2_key')!;
    expect(qk.fixed).toBeUndefined();
    expect(qk.channels).toHaveLength(6);
    const v = groups.find((g) => g.producers.join() === 'block1_head2_value')!;
    expect(v.fixed).toBeUndefined();
    expect(v.tensors).toEqual(['block1_head2_value', 'block1_head2_context', 'block1_heads']);
    expect(v.channels[0]!.get('block1_heads')).toEqual([6]);
  });

  it('removes the weakest head: the smaller model computes what the original does with that head silenced', async () => {
    const model = bert(3);
    // Head 2 of block 1 made the weakest by far, so the l2 ranking must pick it.
    const shrink = (name: string) => model.getLayer(name).setWeights(weightsOf(model, name).map((w) => tf.mul(w, 0.01)));
    ['query', 'key', 'value'].forEach((p) => shrink(`block1_head2_${p}`));
    const read = (layer: string, weight: string) => weightValues(model, layer, weight);
    const attention = findAttentions(connectedLayers(model).layers)[0]!;
    expect(Array.from(headImportance(model, attention, read, 'l2')).indexOf(Math.min(...headImportance(model, attention, read, 'l2')))).toBe(1);
    const result = await pruneHeads(model, { sparsity: 0.17, scope: 'global', importance: 'l2', read });
    expect(result.removedHeads).toBe(1);
    expect(result.model.layers.map((l) => l.name).filter((n) => n.startsWith('block1_head2'))).toEqual([]);
    expect(result.model.getLayer('block1_attention_output').getWeights()[0]!.shape).toEqual([8, 12]);
    // Silence the same head in the original: a zero value projection makes its context zero.
    model.getLayer('block1_head2_value').setWeights(weightsOf(model, 'block1_head2_value').map((w) => tf.zerosLike(w)));
    const [expected, actual] = [model.predict(tokens()) as tf.Tensor, result.model.predict(tokens()) as tf.Tensor];
    expect(Array.from(actual.dataSync()).map((v, i) => Math.abs(v - expected.dataSync()[i]!))).toSatisfy((d: number[]) => Math.max(...d) < 1e-5);
  });

  it('leaves an attention its last head without the join, and the model round-trips through its JSON', async () => {
    const model = bert(2);
    const read = (layer: string, weight: string) => weightValues(model, layer, weight);
    const result = await pruneHeads(model, { sparsity: 0.5, scope: 'layer', importance: 'l1', read });
    expect(result.removedHeads).toBe(2);
    expect([...result.keptHeads.values()]).toEqual([1, 1]);
    const names = result.model.layers.map((l) => l.name);
    expect(names).not.toContain('block1_heads');
    expect(result.model.getLayer('block1_attention_output').getWeights()[0]!.shape).toEqual([6, 12]);
    const reloaded = await tf.models.modelFromJSON({ modelTopology: result.model.toJSON(null, false) as never });
    expect(reloaded.layers.map((l) => l.name)).toEqual(names);
    expect((reloaded.predict(tokens()) as tf.Tensor).shape).toEqual([2, 3]);
    // A second pass finds no attention with a head to spare.
    expect(findAttentions(connectedLayers(result.model).layers)).toEqual([]);
  });
});
