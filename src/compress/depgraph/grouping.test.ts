// The grouping on hand-built graphs: which channels are coupled, and the exact indices every
// coupled layer keeps once some are removed.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers.js';
import { keptElements, layerCuts } from './apply.js';
import { describeModel } from './describe.js';
import { channelGroups } from './graph.js';
import type { AxisCut, ChannelGroup, LayerGraph } from './types.js';

const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;

/** Removes `channels` of the group `producers` names; the cuts of every layer that changes. */
function cutsAfterRemoving(graph: LayerGraph, producers: string[], channels: number[]): { group: ChannelGroup; cuts: Record<string, Record<string, AxisCut[]>> } {
  const groups = channelGroups(graph);
  const group = groups.find((g) => g.producers.join() === producers.join())!;
  expect(group, `a group produced by ${producers}`).toBeDefined();
  expect(group.fixed).toBeUndefined();
  const kept = keptElements(graph, groups, groups.map((g) => (g === group ? channels : [])));
  const cuts: Record<string, Record<string, AxisCut[]>> = {};
  for (const layer of graph.layers) {
    const c = layerCuts(layer, kept);
    if (c.size) cuts[layer.name] = Object.fromEntries(c);
  }
  return { group, cuts };
}

beforeAll(async () => {
  await useTestBackend();
});

describe('dependency graph grouping', () => {
  it('an Add of three producers is one group: each producer, the BN after it and the consumer lose the same channels', () => {
    const input = tf.input({ shape: [6, 6, 2], name: 'in' });
    const a = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'a' }), input);
    const b = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'b' }), input);
    const c = apply(tf.layers.dense({ units: 4, name: 'c' }), input);
    let x = apply(tf.layers.add({ name: 'sum' }), [a, b, c]);
    x = apply(tf.layers.batchNormalization({ name: 'bn' }), x);
    x = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'head' }), x);
    x = apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), x);
    const model = tf.model({ inputs: input, outputs: apply(tf.layers.dense({ units: 2, name: 'out' }), x) });
    const { group, cuts } = cutsAfterRemoving(describeModel(model), ['a', 'b', 'c'], [1, 3]);
    expect(group.tensors).toEqual(['a', 'b', 'c', 'sum', 'bn']);
    const out02 = [{ axis: 0, kept: [0, 2] }];
    expect(cuts).toEqual({
      a: { kernel: [{ axis: 3, kept: [0, 2] }], bias: out02 },
      b: { kernel: [{ axis: 3, kept: [0, 2] }], bias: out02 },
      c: { kernel: [{ axis: 1, kept: [0, 2] }], bias: out02 },
      bn: { gamma: out02, beta: out02, moving_mean: out02, moving_variance: out02 },
      head: { kernel: [{ axis: 2, kept: [0, 2] }] },
    });
  });

  it('Concatenate then Conv: each branch is its own group; the conv loses rows at the branch offsets', () => {
    const input = tf.input({ shape: [5, 5, 1], name: 'in' });
    const p = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'p' }), input);
    const q = apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'q' }), input);
    let x = apply(tf.layers.concatenate({ name: 'join' }), [p, q]);
    x = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'mix' }), x);
    x = apply(tf.layers.flatten({ name: 'flat' }), x);
    const model = tf.model({ inputs: input, outputs: apply(tf.layers.dense({ units: 2, name: 'out' }), x) });
    const graph = describeModel(model);
    expect(cutsAfterRemoving(graph, ['p'], [1]).cuts).toEqual({
      p: { kernel: [{ axis: 3, kept: [0, 2] }], bias: [{ axis: 0, kept: [0, 2] }] },
      mix: { kernel: [{ axis: 2, kept: [0, 2, 3, 4] }] },
    });
    expect(cutsAfterRemoving(graph, ['q'], [0]).cuts).toEqual({
      q: { kernel: [{ axis: 3, kept: [1] }], bias: [{ axis: 0, kept: [1] }] },
      mix: { kernel: [{ axis: 2, kept: [0, 1, 2, 4] }] },
    });
  });

  it('BN after a depthwise (multiplier 2): one input channel couples two depthwise outputs, their BN entries and the pointwise rows', () => {
    const input = tf.input({ shape: [5, 5, 3], name: 'in' });
    let x = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'pre' }), input);
    x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'dw' }), x);
    x = apply(tf.layers.batchNormalization({ name: 'bn' }), x);
    x = apply(tf.layers.reLU({ name: 'relu' }), x);
    x = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'post' }), x);
    x = apply(tf.layers.globalMaxPooling2d({ name: 'gmp' }), x);
    const model = tf.model({ inputs: input, outputs: apply(tf.layers.dense({ units: 2, name: 'out' }), x) });
    const { group, cuts } = cutsAfterRemoving(describeModel(model), ['pre'], [2]);
    expect(group.channels[2]).toEqual(new Map([['pre', [2]], ['dw', [4, 5]], ['bn', [4, 5]], ['relu', [4, 5]]]));
    const kept = [0, 1, 2, 3, 6, 7];
    expect(cuts).toEqual({
      pre: { kernel: [{ axis: 3, kept: [0, 1, 3] }], bias: [{ axis: 0, kept: [0, 1, 3] }] },
      dw: { depthwise_kernel: [{ axis: 2, kept: [0, 1, 3] }], bias: [{ axis: 0, kept }] },
      bn: { gamma: [{ axis: 0, kept }], beta: [{ axis: 0, kept }], moving_mean: [{ axis: 0, kept }], moving_variance: [{ axis: 0, kept }] },
      post: { kernel: [{ axis: 2, kept }] },
    });
  });

  it('Flatten after a conv (Sequential): the Dense loses rows position × channels + channel', () => {
    const model = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 3, kernelSize: 3, name: 'conv' }),
      tf.layers.maxPooling2d({ poolSize: 1, name: 'pool' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 5, name: 'fc' }),
      tf.layers.dense({ units: 2, name: 'out' }),
    ] });
    const { cuts } = cutsAfterRemoving(describeModel(model), ['conv'], [1]);
    expect(cuts).toEqual({
      conv: { kernel: [{ axis: 3, kept: [0, 2] }], bias: [{ axis: 0, kept: [0, 2] }] },
      fc: { kernel: [{ axis: 0, kept: [0, 2, 3, 5, 6, 8, 9, 11] }] },
    });
  });

  it('a Reshape keeping the channel axis passes channels through; one splitting it stops them, named', () => {
    const input = tf.input({ shape: [2, 2, 4], name: 'in' });
    const a = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'a' }), input);
    const rows = apply(tf.layers.reshape({ targetShape: [4, 4], name: 'rows' }), a);
    const b = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'b' }), input);
    const split = apply(tf.layers.reshape({ targetShape: [2, 2, 2, 2], name: 'split' }), b);
    const joined = apply(tf.layers.concatenate({ name: 'join' }), [apply(tf.layers.flatten({ name: 'f1' }), rows), apply(tf.layers.flatten({ name: 'f2' }), split)]);
    const model = tf.model({ inputs: input, outputs: apply(tf.layers.dense({ units: 2, name: 'out' }), joined) });
    const groups = channelGroups(describeModel(model));
    expect(groups.find((g) => g.producers.join() === 'a')!.fixed).toBeUndefined();
    expect(groups.find((g) => g.producers.join() === 'b')!.fixed).toBe('split (Reshape to [2,2,2,2]) splits or merges the channel axis');
  });
});
