import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadModelFromFiles, modelFiles } from './io.js';
import { applyMasks, keyedWeights } from './weights.js';

/** A functional model with a nested Sequential (a model used as a layer) holding two Dense layers. */
function nested(): tf.LayersModel {
  const inner = tf.sequential({ name: 'encoder', layers: [
    tf.layers.dense({ units: 4, inputShape: [3], name: 'd1', kernelInitializer: 'ones' }),
    tf.layers.dense({ units: 4, name: 'd2', kernelInitializer: 'ones' }),
  ] });
  const input = tf.input({ shape: [3] });
  const output = tf.layers.dense({ units: 2, name: 'head', kernelInitializer: 'ones' }).apply(inner.apply(input)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

describe('weight keys', () => {
  it('are full paths: the weights of a nested model do not collide', () => {
    const model = nested();
    expect(keyedWeights(model).map((w) => w.key)).toEqual([
      'encoder/d1/kernel', 'encoder/d1/bias', 'encoder/d2/kernel', 'encoder/d2/bias', 'head/kernel', 'head/bias',
    ]);
  });

  it('a mask reaches exactly the tensor its key names, also after a save and load', async () => {
    const model = await loadModelFromFiles(await modelFiles(nested()));
    applyMasks(model, new Map([['encoder/d2/kernel', new Float32Array(16)]]));
    const sums = Object.fromEntries(keyedWeights(model).map((w) => [w.key, w.variable.read().sum().dataSync()[0]]));
    expect(sums).toEqual({ 'encoder/d1/kernel': 12, 'encoder/d1/bias': 0, 'encoder/d2/kernel': 0, 'encoder/d2/bias': 0, 'head/kernel': 8, 'head/bias': 0 });
  });
});
