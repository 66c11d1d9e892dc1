import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../test/helpers.js';
import { buildBuiltinModel } from './builtin.js';
import { loadModelFromFiles, modelFiles } from './io.js';

beforeAll(async () => { await useTestBackend(); });

describe('bert positions: learned', () => {
  const spec = { builtin: 'bert' as const, dim: 8, layers: 1, heads: 2, positions: 'learned' as const };

  it('adds a trained [length, dim] table, and the model saves and loads with it', async () => {
    const model = buildBuiltinModel(spec, [6], 3, 5, 10);
    const table = model.getLayer('position_embedding').getWeights()[0]!;
    expect(table.shape).toEqual([6, 8]);
    expect(model.layers.some((l) => l.name === 'position_conv')).toBe(false);
    const xs = tf.tensor2d([[2, 3, 4, 0, 0, 0], [4, 3, 2, 0, 0, 0]]);
    const loaded = await loadModelFromFiles(await modelFiles(model));
    const [a, b] = [model.predict(xs) as tf.Tensor, loaded.predict(xs) as tf.Tensor];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
  });

  it('makes the output depend on where a token stands', () => {
    const model = buildBuiltinModel(spec, [6], 3, 5, 10);
    const out = model.predict(tf.tensor2d([[5, 0, 0, 0, 0, 0], [0, 0, 0, 0, 5, 0]])) as tf.Tensor;
    const [p, q] = tf.split(out, 2) as [tf.Tensor, tf.Tensor];
    expect(tf.max(tf.abs(tf.sub(p, q))).dataSync()[0]).toBeGreaterThan(1e-4);
  });
});
