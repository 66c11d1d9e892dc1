// The correctness oracle of structured pruning: zero, in the original model, every weight that
// makes a removed channel; its predictions must equal the rebuilt smaller model's.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers.js';
import { mobileNetStyle, nestedModel } from '../../../test/user-models.js';
import { pruneChannels } from './prune-channels.js';
import type { ChannelPruneOptions } from './prune-channels.js';

/** Weights whose last axis is the layer's output channels (a depthwise kernel's is its multiplier). */
const PER_OUTPUT = new Set(['kernel', 'pointwise_kernel', 'bias', 'beta', 'moving_mean']);

/** Zeroes what produces the removed output elements of every layer, so those channels are exactly 0. */
function silenceRemoved(model: tf.LayersModel, kept: Map<string, number[]>): void {
  for (const layer of model.layers) {
    const keep = new Set(kept.get(layer.name));
    const channels = (layer.outputShape as number[]).at(-1)!;
    if (keep.size === channels || layer.weights.length === 0) continue;
    const values = layer.getWeights().map((w, k) => {
      const v = w.dataSync().slice() as Float32Array;
      const last = w.shape.at(-1)!;
      if (PER_OUTPUT.has(layer.weights[k]!.originalName.split('/').pop()!) && last === channels) {
        for (let i = 0; i < v.length; i++) if (!keep.has(i % last)) v[i] = 0;
      }
      return tf.tensor(v, w.shape);
    });
    layer.setWeights(values);
  }
}

/** BN statistics away from their initial values, so that a wrong slice shows. */
function randomizeNorms(model: tf.LayersModel): void {
  model.layers.filter((l) => l.getClassName() === 'BatchNormalization').forEach((l, i) => {
    l.setWeights(l.getWeights().map((w, k) => tf.randomUniform(w.shape, k === 3 ? 0.5 : -0.5, k === 3 ? 2 : 0.5, 'float32', 10 * i + k)));
  });
}

const options = (over: Partial<ChannelPruneOptions> = {}): ChannelPruneOptions => ({ sparsity: 0.5, scope: 'layer', importance: 'l2', selected: new Set(), ...over });
const allLayers = (model: tf.LayersModel) => new Set(model.layers.map((l) => l.name));

async function expectOracle(model: tf.LayersModel, over: Partial<ChannelPruneOptions>, shape: number[]) {
  const result = await pruneChannels(model, options({ selected: allLayers(model), ...over }));
  silenceRemoved(model, result.kept);
  const x = tf.randomUniform([3, ...shape], 0, 1, 'float32', 7);
  const before = (model.predict(x) as tf.Tensor).dataSync();
  const after = (result.model.predict(x) as tf.Tensor).dataSync();
  expect(after.length).toBe(before.length);
  after.forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 5));
  return result;
}

class Scale extends tf.layers.Layer {
  static className = 'Scale';
  override call(inputs: tf.Tensor | tf.Tensor[]) {
    return tf.mul(Array.isArray(inputs) ? inputs[0]! : inputs, 2);
  }
}
tf.serialization.registerClass(Scale);

beforeAll(async () => {
  await useTestBackend();
});

describe('structured pruning equals the original with the removed channels silenced', () => {
  it('MobileNet-style residual block (BN, depthwise, Add): half the coupled channels go, the output stays', async () => {
    const model = mobileNetStyle(3);
    randomizeNorms(model);
    const result = await expectOracle(model, {}, [28, 28, 1]);
    for (const name of ['stem', 'block_pw']) expect(result.model.getLayer(name).getWeights()[0]!.shape.at(-1)).toBe(6);
    expect(result.model.getLayer('block_dw').getWeights()[0]!.shape).toEqual([3, 3, 6, 1]);
    expect(result.model.getLayer('stem_bn').getWeights()[2]!.shape).toEqual([6]);
    expect(result.model.getLayer('classifier').getWeights()[0]!.shape).toEqual([6, 10]);
    expect(result.removedUnits).toBe(12);
    expect(result.model.getClassName()).not.toBe('Sequential');
    expect(result.model.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
  });

  it('keeps a nested model\'s channels whole (unknown class), pruning the Conv2D branch concatenated with it', async () => {
    const model = nestedModel(2);
    const result = await expectOracle(model, {}, [28, 28, 1]);
    expect(result.model.getLayer('side').getWeights()[0]!.shape).toEqual([3, 3, 1, 2]);
    expect(result.model.getLayer('classifier').getWeights()[0]!.shape).toEqual([8, 10]);
    expect(result.refused.get('sep')).toBeUndefined();
  });

  it('a plugin layer class stops propagation: the channels it touches stay whole and it is named', async () => {
    const input = tf.input({ shape: [6, 6, 1] });
    const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'a' }).apply(input) as tf.SymbolicTensor;
    const odd = new Scale({ name: 'odd' }).apply(a) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', name: 'b' }).apply(odd) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(b) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, name: 'out' }).apply(pooled) as tf.SymbolicTensor });
    const result = await expectOracle(model, {}, [6, 6, 1]);
    expect(result.model.getLayer('a').getWeights()[0]!.shape).toEqual([3, 3, 1, 4]);
    expect(result.model.getLayer('b').getWeights()[0]!.shape).toEqual([1, 1, 4, 2]);
    expect(result.refused.get('a')).toBe('odd is a Scale, a layer class structured pruning does not know: the channels it touches stay whole');
  });

  it('SeparableConv2D with depthMultiplier 2: its pointwise rows follow each kept input channel', async () => {
    const model = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 1, name: 'pre' }),
      tf.layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, name: 'sep' }),
      tf.layers.globalAveragePooling2d({ name: 'gap' }),
      tf.layers.dense({ units: 3, name: 'out' }),
    ] });
    const result = await expectOracle(model, {}, [6, 6, 2]);
    expect(result.model.getLayer('sep').getWeights().map((w) => w.shape)).toEqual([[3, 3, 2, 2], [1, 1, 4, 2], [2]]);
  });

  it('Sequential conv → BN → ReLU → flatten → dense, global scope with roundTo', async () => {
    const model = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 8, kernelSize: 3, name: 'conv' }),
      tf.layers.batchNormalization({ name: 'bn' }),
      tf.layers.reLU({ name: 'relu' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 16, activation: 'relu', name: 'fc' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }),
    ] });
    randomizeNorms(model);
    const result = await expectOracle(model, { scope: 'global', roundTo: 4, maxSparsity: 0.5 }, [8, 8, 1]);
    const kept = [result.model.getLayer('conv').getWeights()[0]!.shape[3]!, result.model.getLayer('fc').getWeights()[0]!.shape[1]!];
    expect(kept.every((k) => k % 4 === 0 && k > 0)).toBe(true);
    expect(kept[0]! + kept[1]!).toBe(12);
    expect(result.model.getLayer('fc').getWeights()[0]!.shape[0]).toBe(6 * 6 * kept[0]!);
  });
});
