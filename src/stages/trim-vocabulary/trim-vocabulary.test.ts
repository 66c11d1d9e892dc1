import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { buildBuiltinModel } from '../../model/builtin.js';
import { dataFor, vocabularyCodec, vocabularyOf } from '../../state/vocabulary.js';
import { freshTestState, runTestStage } from '../testing.js';
import { describeOutputs } from '../../model/outputs.js';
import { outputImpact } from './impact.js';
import { keptIds, tokenCounts, trimVocabularyStage } from './trim-vocabulary.js';

beforeAll(async () => {
  await useTestBackend();
});

// ids 0 pad, 1 unk; in training: 5 ×4, 3 ×3, 7 ×2, 2 ×1; 4, 6, 8, 9 never.
const train = [5, 5, 3, 0, 5, 3, 7, 0, 5, 3, 7, 2];
const test = [4, 5, 9, 3, 2, 7, 1, 0];
const text = (): Dataset => ({
  name: 'text', inputShape: [4], featureSize: 4, numClasses: 2, vocabSize: 10,
  vocabulary: ['<pad>', '<unk>', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'],
  train: { x: Float32Array.from(train), y: Int32Array.from([0, 1, 0]), count: 3 },
  test: { x: Float32Array.from(test), y: Int32Array.from([1, 0]), count: 2 }, fingerprint: 'text',
});

describe('trim-vocabulary', () => {
  it('keeps the most frequent training tokens (ties to the lower id), or those seen minCount times', () => {
    const counts = tokenCounts(Float32Array.from(train), 10);
    expect(keptIds(counts, { keep: 2 })).toEqual([0, 1, 3, 5]);
    expect(keptIds(counts, { keep: 100 })).toEqual([0, 1, 2, 3, 5, 7]);
    expect(keptIds(counts, { minCount: 2 })).toEqual([0, 1, 3, 5, 7]);
  });

  it('by: impact ranks tokens by how far the outputs move when each alone is read as unknown', async () => {
    const data = text();
    const model = buildBuiltinModel({ builtin: 'textmlp', dim: 4, hidden: [4] }, [4], 2, 1, 10);
    const embedding = model.getLayer('embedding');
    const table = embedding.getWeights()[0]!.arraySync() as number[][];
    // Token 5, the most frequent, reads exactly like unknown: dropping it changes nothing.
    table[5] = [...table[1]!];
    table[3] = table[3]!.map((v) => v * 40);
    embedding.setWeights([tf.tensor2d(table)]);
    const impact = outputImpact(model, describeOutputs(model), data.train, 4, 10);
    expect(impact[5]).toBe(0);
    expect([4, 6, 8, 9].map((id) => impact[id])).toEqual([0, 0, 0, 0]);
    expect(impact[3]).toBeGreaterThan(impact[7]!);
    expect(impact[7]).toBeGreaterThan(0);
    const counts = tokenCounts(data.train.x, 10);
    expect(keptIds(counts, { keep: 2, by: 'impact' }, impact)).toEqual([0, 1, ...[2, 3, 7].sort((a, b) => impact[b]! - impact[a]! || a - b).slice(0, 2).sort()]);
    expect(keptIds(counts, { keep: 2, by: 'impact' }, impact)).not.toContain(5);
    const { state } = await runTestStage(trimVocabularyStage, { keep: 2, by: 'impact' }, freshTestState(model), data);
    expect(dataFor(data, state).vocabulary).not.toContain('e');
  });

  it('cuts the embedding rows, renumbers the data and vocabulary; the model predicts as before with dropped tokens unknown', async () => {
    const data = text();
    const model = buildBuiltinModel({ builtin: 'textmlp', dim: 4, hidden: [4] }, [4], 2, 1, 10);
    const mask = new Float32Array(10 * 4).map((_, i) => i % 2);
    const { state, metrics } = await runTestStage(trimVocabularyStage, { keep: 2 }, { ...freshTestState(model), masks: new Map([['embedding/embeddings', mask]]) }, data);
    expect(state.model.getLayer('embedding').getWeights()[0]!.shape).toEqual([4, 4]);
    expect(metrics).toEqual({ vocabSize: 4, droppedTokens: 6, tokenCoverage: 7 / 10 });
    expect(state.masks.get('embedding/embeddings')!.length).toBe(16);
    const view = dataFor(data, state);
    expect(view.vocabulary).toEqual(['<pad>', '<unk>', 'c', 'e']);
    expect(view.vocabSize).toBe(4);
    expect(Array.from(view.test.x)).toEqual([1, 3, 1, 2, 1, 1, 1, 0]);
    const unknownForDropped = Float32Array.from(test, (id) => ([0, 1, 3, 5].includes(id) ? id : 1));
    const before = (model.predict(tf.tensor2d(unknownForDropped, [2, 4])) as tf.Tensor).dataSync();
    const after = (state.model.predict(tf.tensor2d(view.test.x as Float32Array, [2, 4])) as tf.Tensor).dataSync();
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 6));
  });

  it('a second trim composes with the first; the map survives its codec', async () => {
    const data = text();
    const model = buildBuiltinModel({ builtin: 'textmlp', dim: 4, hidden: [4] }, [4], 2, 1, 10);
    const first = await runTestStage(trimVocabularyStage, { minCount: 2 }, freshTestState(model), data);
    const second = await runTestStage(trimVocabularyStage, { keep: 1 }, first.state, dataFor(data, first.state));
    expect(dataFor(data, second.state).vocabulary).toEqual(['<pad>', '<unk>', 'e']);
    const map = vocabularyOf(second.state)!;
    const { json, bytes } = vocabularyCodec.encode(map);
    expect(vocabularyCodec.decode(JSON.parse(JSON.stringify(json)), bytes)).toEqual(map);
    expect(vocabularyCodec.decode(vocabularyCodec.encode(null).json, undefined)).toBeNull();
  });

  it('needs exactly one of keep and minCount', () => {
    const check = (p: object) => trimVocabularyStage.check!(p as never, { model: {}, earlier: [], recipe: {} as never });
    expect(check({})).toHaveLength(1);
    expect(check({ keep: 1, minCount: 1 })).toHaveLength(1);
    expect(check({ keep: 1 })).toEqual([]);
    expect(check({ minCount: 1, by: 'impact' })).toMatchObject([{ path: ['by'] }]);
  });
});
