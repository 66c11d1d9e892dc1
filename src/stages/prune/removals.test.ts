// One structured-pruning step's removals in order (heads, then channels), with taylor scores
// computed on the model before anything shrank.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers.js';
import { testPruneParams } from '../testing.js';
import { removeOnce } from './removals.js';

/**
 * Features [4, 6] → `proj_in` (4 channels) → two attention heads (width 2) joined into `attn_out`,
 * added back to `proj_in`'s output: the 4 hidden channels are one prunable group whose producers
 * are proj_in and attn_out.
 */
function tinyAttention(): tf.LayersModel {
  const input = tf.input({ shape: [4, 6], name: 'features' });
  const x = tf.layers.dense({ units: 4, name: 'proj_in' }).apply(input) as tf.SymbolicTensor;
  const contexts = [1, 2].map((h) => {
    const [q, k, v] = ['query', 'key', 'value'].map((p) => tf.layers.dense({ units: 2, name: `head${h}_${p}` }).apply(x) as tf.SymbolicTensor);
    const scores = tf.layers.dot({ axes: [2, 2], name: `head${h}_scores` }).apply([q!, k!]) as tf.SymbolicTensor;
    const weights = tf.layers.softmax({ axis: -1, name: `head${h}_attention` }).apply(scores) as tf.SymbolicTensor;
    return tf.layers.dot({ axes: [2, 1], name: `head${h}_context` }).apply([weights, v!]) as tf.SymbolicTensor;
  });
  const joined = tf.layers.concatenate({ axis: -1, name: 'heads' }).apply(contexts) as tf.SymbolicTensor;
  const attended = tf.layers.dense({ units: 4, name: 'attn_out' }).apply(joined) as tf.SymbolicTensor;
  const added = tf.layers.add({ name: 'residual' }).apply([x, attended]) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling1d({ name: 'pool' }).apply(added) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, activation: 'softmax', name: 'output' }).apply(pooled) as tf.SymbolicTensor });
}

beforeAll(async () => {
  await useTestBackend();
});

describe('removals in one step', () => {
  it('taylor: the channels step ranks hidden channels without the rows of the heads that went', async () => {
    const model = tinyAttention();
    // Scores by hand, shaped as taylorScores returns them: 1 everywhere, but
    const scores = new Map(model.layers.filter((l) => l.weights.length).map((l) => [l.name, new Map(l.weights.map((w) => {
      const shape = w.shape as number[];
      return [w.originalName.split('/').pop()!, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1)];
    }))]));
    const set = (layer: string, fill: (i: number) => number) => {
      const s = scores.get(layer)!.get('kernel')!;
      s.forEach((_, i) => { s[i] = fill(i); });
    };
    // proj_in makes hidden channel 0 the weakest (6 vs 12 per column) ...
    set('proj_in', (i) => (i % 4 === 0 ? 1 : 2));
    // ... head 1 is the weaker head (its rows of attn_out: 10 in column 0 only; no query/key/value score), so it goes ...
    set('attn_out', (i) => (i < 8 ? (i % 4 === 0 ? 10 : 0) : 1));
    for (const p of ['query', 'key', 'value']) set(`head1_${p}`, () => 0);
    for (const p of ['query', 'key', 'value']) set(`head2_${p}`, () => 10);
    // ... and with its rows gone, hidden channel 0 is still the weakest: 6 + 2 against 12 + 2.
    const p = testPruneParams({ method: 'structured', sparsity: 0.25, scope: 'layer', importance: 'taylor' });
    const result = await removeOnce(model, p, { heads: 0.5, channels: 0.25 }, new Map(), scores);
    expect(result.removedHeads).toBe(1);
    expect(result.model.layers.map((l) => l.name).filter((n) => n.startsWith('head1'))).toEqual([]);
    const before = model.getLayer('proj_in').getWeights()[0]!.arraySync() as number[][];
    const after = result.model.getLayer('proj_in').getWeights()[0]!.arraySync() as number[][];
    expect(after[0]).toEqual([before[0]![1], before[0]![2], before[0]![3]]);
  });

  it('drops the masks of a removed head\'s layers and cuts the output projection\'s mask by the same rows as its kernel', async () => {
    const model = tinyAttention();
    // Head 1 the weaker by far (its query, key and value scaled down), so it goes.
    for (const p of ['query', 'key', 'value']) model.getLayer(`head1_${p}`).setWeights(model.getLayer(`head1_${p}`).getWeights().map((w) => tf.mul(w, 0.01)));
    const rowMask = new Float32Array(4 * 4).map((_, i) => (Math.floor(i / 4) === 1 || Math.floor(i / 4) === 3 ? 0 : 1));
    const masks = new Map([['attn_out/kernel', rowMask], ['head1_query/kernel', new Float32Array(8).fill(1)], ['head2_query/kernel', new Float32Array(8).fill(1)]]);
    const p = testPruneParams({ method: 'structured', sparsity: undefined, scope: 'layer' });
    const result = await removeOnce(model, p, { heads: 0.5 }, masks);
    expect(result.removedHeads).toBe(1);
    expect([...result.masks.keys()]).toEqual(['attn_out/kernel', 'head2_query/kernel']);
    // Rows 2 and 3 (head 2's) are kept: of the mask, row 3 was zero.
    expect(Array.from(result.masks.get('attn_out/kernel')!)).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(result.model.getLayer('attn_out').getWeights()[0]!.arraySync()).toEqual((model.getLayer('attn_out').getWeights()[0]!.arraySync() as number[][]).slice(2));
  });
});
