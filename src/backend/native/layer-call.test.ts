import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useNativeBatchNormTraining } from './bn-layer.js';
import { installFastLayerNorm } from './layer-norm.js';

/** The counter tfjs-layers put at the end of a default layer name. */
const counter = (name: string) => Number(/(\d+)$/.exec(name)![1]);

describe('replacing a layer class\'s call', () => {
  it('installs on the registered classes without creating a layer, so the user\'s default layer names do not move', () => {
    const before = [counter(tf.layers.layerNormalization({}).name), counter(tf.layers.batchNormalization({}).name)];
    installFastLayerNorm();
    useNativeBatchNormTraining();
    const after = [counter(tf.layers.layerNormalization({}).name), counter(tf.layers.batchNormalization({}).name)];
    expect(after).toEqual(before.map((n) => n + 1));
    for (const name of ['LayerNormalization', 'BatchNormalization']) {
      const proto = tf.serialization.SerializationMap.getMap().classNameMap[name]![0].prototype as unknown as { call: Record<symbol, unknown> };
      expect(Object.getOwnPropertySymbols(proto.call).length, `${name} is replaced`).toBe(1);
    }
    // a second install replaces nothing more
    const call = (tf.serialization.SerializationMap.getMap().classNameMap.LayerNormalization![0].prototype as unknown as { call: unknown }).call;
    installFastLayerNorm();
    expect((tf.serialization.SerializationMap.getMap().classNameMap.LayerNormalization![0].prototype as unknown as { call: unknown }).call).toBe(call);
  });
});
