import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers.js';
import { mobileNetStyle } from '../../test/user-models.js';
import { pruneChannels } from '../compress/depgraph/prune-channels.js';
import { buildBuiltinModel } from './builtin.js';
import { layerMacs, modelMacs } from './macs.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('macs', () => {
  it('counts dense, conv, depthwise and separable layers from their shapes', () => {
    const model = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: 'same', name: 'conv' }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, name: 'dw' }),
      tf.layers.separableConv2d({ filters: 5, kernelSize: 3, name: 'sep' }),
      tf.layers.batchNormalization({ name: 'bn' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 3, name: 'out' }),
    ] });
    expect(layerMacs(model)).toEqual([
      { name: 'conv', className: 'Conv2D', macs: 8 * 8 * 4 * (3 * 3 * 2) },
      { name: 'dw', className: 'DepthwiseConv2D', macs: 6 * 6 * 8 * 9 },
      { name: 'sep', className: 'SeparableConv2D', macs: 4 * 4 * 8 * 9 + 4 * 4 * 8 * 5 },
      { name: 'out', className: 'Dense', macs: 4 * 4 * 5 * 3 },
    ]);
  });

  it('counts attention dot products: scores contract the head dimension, contexts the sequence', () => {
    const model = buildBuiltinModel({ builtin: 'bert', dim: 8, layers: 1, heads: 2 }, [6], 2, 1, 20);
    const dots = layerMacs(model).filter((l) => l.className === 'Dot');
    expect(dots.map((d) => [d.name, d.macs])).toEqual([
      ['block1_head1_scores', 6 * 6 * 4], ['block1_head2_scores', 6 * 6 * 4], ['block1_head1_context', 6 * 4 * 6], ['block1_head2_context', 6 * 4 * 6],
    ]);
  });

  it('falls with structured pruning: half the coupled channels of the MobileNet-style block', async () => {
    const model = mobileNetStyle(1);
    const before = modelMacs(model);
    const { model: smaller } = await pruneChannels(model, { sparsity: 0.5, scope: 'layer', importance: 'l2', selected: new Set(model.layers.map((l) => l.name)) });
    // stem 14·14·12·9, depthwise 14·14·12·9, pointwise 14·14·12·12, classifier 12·10; all halve but the pointwise (quartered).
    expect(before).toBe(14 * 14 * 12 * 9 * 2 + 14 * 14 * 144 + 120);
    expect(modelMacs(smaller)).toBe(14 * 14 * 6 * 9 * 2 + 14 * 14 * 36 + 60);
  });
});
