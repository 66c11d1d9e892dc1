import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { buildBuiltinModel } from '../../model/builtin.js';
import { freshTestState, testPruneParams, testStageContext } from '../testing.js';
import type { PruneParams } from './prune.js';
import { pruneStage } from './prune.js';

const params = (over: Partial<PruneParams>): PruneParams => testPruneParams({
  method: 'structured', sparsity: 0.25, scope: 'layer', batchSize: 32, optimizer: { name: 'adam', learningRate: 0.001 }, ...over,
});

/** Zeroes whole units (kernel columns and biases) so that removing them cannot change outputs. */
function silence(model: tf.LayersModel, layer: string, units: number[]): void {
  const [kernel, bias] = model.getLayer(layer).getWeights();
  const k = kernel!.dataSync().slice() as Float32Array;
  const b = bias!.dataSync().slice() as Float32Array;
  const outputs = kernel!.shape.at(-1)!;
  for (let i = 0; i < k.length; i++) if (units.includes(i % outputs)) k[i] = 0;
  for (const u of units) b[u] = 0;
  model.getLayer(layer).setWeights([tf.tensor(k, kernel!.shape), tf.tensor(b, bias!.shape)]);
}

/** One-shot structured pruning needs no data (but for taylor importance), and no fresh states. */
async function prune(model: tf.LayersModel, p: PruneParams, masks = new Map<string, Float32Array>(), data: Dataset = {} as never) {
  const input = { ...freshTestState(model), masks };
  const result = await pruneStage.run(testStageContext(p, input, data, { name: 'p', seed: 1, freshState: () => { throw new Error('unused'); } }));
  return { ...result, state: { ...result.state, model: result.state.model as tf.LayersModel } };
}

const x = () => tf.randomUniform([5, 784], 0, 1, 'float32', 3);

/** 32 sequences of 6 token ids (vocabulary 20) with two classes, for training a tiny bert. */
function tinyBert(): Dataset {
  const x = new Float32Array(32 * 6).map((_, i) => 1 + ((i * 7919) % 19));
  const y = Int32Array.from({ length: 32 }, (_, i) => i % 2);
  return { name: 'tokens', inputShape: [6], featureSize: 6, numClasses: 2, vocabSize: 20, train: { x, y, count: 32 }, test: { x: x.slice(0, 48), y: y.slice(0, 8), count: 8 }, fingerprint: 'tokens' };
}

beforeAll(async () => {
  await useTestBackend();
});

describe('structured pruning', () => {
  it('removes the weakest units of an MLP: same outputs when they were silent, fewer parameters', async () => {
    const model = buildBuiltinModel({ builtin: 'mlp', hidden: [16, 8] }, [784], 10, 1);
    silence(model, 'dense1', [1, 5, 6, 11]);
    const before = (model.predict(x()) as tf.Tensor).dataSync();
    const { state, metrics } = await prune(model, params({ include: ['dense1'] }));
    expect(state.model.getLayer('dense1').getWeights()[0]!.shape).toEqual([784, 12]);
    expect(state.model.getLayer('dense2').getWeights()[0]!.shape).toEqual([12, 8]);
    expect(metrics.removedUnits).toBe(4);
    const after = (state.model.predict(x()) as tf.Tensor).dataSync();
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 6));
  });

  it('removes filters of LeNet-5 through pooling and flatten, leaving the output layer whole', async () => {
    const model = buildBuiltinModel({ builtin: 'lenet5' }, [784], 10, 2);
    silence(model, 'conv1', [0, 3]);
    silence(model, 'conv2', [1, 2, 5, 9, 15]);
    const before = (model.predict(x()) as tf.Tensor).dataSync();
    const { state } = await prune(model, params({ sparsity: 1 / 3, include: ['conv1', 'conv2'] }));
    expect(state.model.getLayer('conv1').getWeights()[0]!.shape).toEqual([5, 5, 1, 4]);
    expect(state.model.getLayer('conv2').getWeights()[0]!.shape).toEqual([5, 5, 4, 11]);
    expect(state.model.getLayer('fc1').getWeights()[0]!.shape).toEqual([5 * 5 * 11, 120]);
    const after = (state.model.predict(x()) as tf.Tensor).dataSync();
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 5));
  });

  it('without a selection, shrinks every hidden layer and never the output; cuts masks along', async () => {
    const model = buildBuiltinModel({ builtin: 'mlp', hidden: [16, 8] }, [784], 10, 4);
    const mask = new Float32Array(16 * 8).map((_, i) => (i % 3 === 0 ? 0 : 1));
    const { state } = await prune(model, params({ sparsity: 0.5 }), new Map([['dense2/kernel', mask]]));
    expect(state.model.layers.filter((l) => l.weights.length).map((l) => l.getWeights()[0]!.shape)).toEqual([[784, 8], [8, 4], [4, 10]]);
    expect(state.masks.get('dense2/kernel')!.length).toBe(8 * 4);
  });

  it('taylor importance (|w·∂L/∂w| over training batches) removes the units nothing reads, whatever their norm', async () => {
    const model = buildBuiltinModel({ builtin: 'mlp', hidden: [16, 8] }, [784], 10, 1);
    // dense2 ignores these units of dense1: their kernels keep their norms, but their gradients are 0.
    const [k2, b2] = model.getLayer('dense2').getWeights();
    const rows = k2!.dataSync().slice() as Float32Array;
    for (const u of [2, 3, 9, 14]) rows.fill(0, u * 8, u * 8 + 8);
    model.getLayer('dense2').setWeights([tf.tensor(rows, k2!.shape), b2!]);
    const before = (model.predict(x()) as tf.Tensor).dataSync();
    const { state } = await prune(model, params({ include: ['dense1'], importance: 'taylor' }), new Map(), tinyMnist(200));
    expect(state.model.getLayer('dense1').getWeights()[0]!.shape).toEqual([784, 12]);
    const after = (state.model.predict(x()) as tf.Tensor).dataSync();
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 5));
    const byNorm = await prune(model, params({ include: ['dense1'], importance: 'l2' }));
    const l2After = (byNorm.state.model.predict(x()) as tf.Tensor).dataSync();
    expect(l2After.some((v, i) => Math.abs(v - before[i]!) > 1e-4)).toBe(true);
  });

  it('refuses an explicitly selected output layer, naming why', async () => {
    const model = buildBuiltinModel({ builtin: 'mlp', hidden: [8] }, [784], 10, 5);
    await expect(prune(model, params({ include: ['output'] }))).rejects.toThrow("structured pruning cannot shrink output: output produces the model's output: its units never shrink");
  });
});

describe('structured pruning in steps', () => {
  it('removes channels in `steps` with training between and after them, reaching `sparsity` of the original channels', async () => {
    const model = buildBuiltinModel({ builtin: 'mlp', hidden: [16, 8] }, [784], 10, 4);
    const p = params({ sparsity: 0.5, steps: 2, schedule: { kind: 'polynomial', epochs: 2, power: 3, initialSparsity: 0 } });
    const { state, metrics, history } = await prune(model, p, new Map(), tinyMnist(200));
    // Step 1 removes s(1/2) = 0.5·(1 − 0.5³) ≈ 0.44 of each group (16 → 9, 8 → 5), step 2 the rest to half (9 → 8, 5 → 4).
    expect(state.model.layers.filter((l) => l.weights.length).map((l) => l.getWeights()[0]!.shape)).toEqual([[784, 8], [8, 4], [4, 10]]);
    expect(history!.map((h) => h.pruneStep)).toEqual([1, 2]);
    expect(history![0]!.channelFraction).toBeCloseTo(0.4375, 6);
    expect(metrics).toMatchObject({ pruneSteps: 2, removedUnits: 12 });
    expect(metrics.trainLoss).toBeGreaterThan(0);
  });

  it('a round whose fraction rounds to no channel hands the model on (4 units in 3 steps: 4 → 3 → 2 → 2)', async () => {
    const model = buildBuiltinModel({ builtin: 'mlp', hidden: [4] }, [784], 10, 4);
    const p = params({ sparsity: 0.5, steps: 3, schedule: { kind: 'polynomial', epochs: 3, power: 3, initialSparsity: 0 } });
    const { state, metrics } = await prune(model, p, new Map(), tinyMnist(200));
    expect(state.model.getLayer('dense1').getWeights()[0]!.shape).toEqual([784, 2]);
    expect(metrics).toMatchObject({ pruneSteps: 3, removedUnits: 2 });
  });

  it('needs a polynomial schedule for steps, and refuses updateEvery', () => {
    const check = (over: Partial<PruneParams>) => pruneStage.check!(params(over), { model: {}, earlier: [], recipe: {} as never }).map((e) => e.message);
    expect(check({ steps: 3 })).toEqual(['"steps" needs schedule kind polynomial: its epochs are the training between the steps']);
    expect(check({ steps: 3, schedule: { kind: 'polynomial', epochs: 3, power: 3, initialSparsity: 0, updateEvery: 5 } }))
      .toEqual(['method structured removes channels in `steps`, not every `updateEvery` steps']);
    expect(check({ method: 'magnitude', steps: 3 })).toEqual(['"steps" applies only to method structured']);
  });
});

describe('structured pruning of a functional model', () => {
  it('shrinks bert\'s feed-forward units and each head\'s query/key and value channels through its products', async () => {
    const model = buildBuiltinModel({ builtin: 'bert', dim: 8, layers: 1, heads: 2 }, [6], 2, 1, 20);
    const { state, metrics } = await prune(model, params({ sparsity: 0.5 }));
    expect(state.model.getLayer('block1_ffn_inner').getWeights()[0]!.shape).toEqual([8, 16]);
    expect(state.model.getLayer('block1_ffn_output').getWeights()[0]!.shape).toEqual([16, 8]);
    expect(state.model.getLayer('block1_head1_query').getWeights()[0]!.shape).toEqual([8, 2]);
    expect(state.model.getLayer('block1_head1_key').getWeights()[0]!.shape).toEqual([8, 2]);
    expect(state.model.getLayer('block1_head1_value').getWeights()[0]!.shape).toEqual([8, 2]);
    expect(state.model.getLayer('block1_attention_output').getWeights()[0]!.shape).toEqual([4, 8]);
    // 16 feed-forward units, 2 query and 2 key channels per head, 2 value channels per head.
    expect(metrics.removedUnits).toBe(16 + 2 * 4 + 2 * 2);
    expect(state.model.getClassName()).not.toBe('Sequential');
  });

  it('refuses an explicitly selected query without its key: their channels meet in one product', async () => {
    const model = buildBuiltinModel({ builtin: 'bert', dim: 8, layers: 1, heads: 2 }, [6], 2, 1, 20);
    await expect(prune(model, params({ include: ['block1_head1_query'] }))).rejects.toThrow(
      'structured pruning cannot shrink block1_head1_query: its channels are coupled with block1_head1_key, which is not selected: select them together',
    );
  });

  it('removes whole heads and feed-forward neurons with heads and ffn, the rest of the model whole', async () => {
    const model = buildBuiltinModel({ builtin: 'bert', dim: 8, layers: 2, heads: 4 }, [6], 2, 1, 20);
    const { state, metrics } = await prune(model, params({ sparsity: undefined, heads: 0.5, ffn: 0.25 }));
    expect(metrics.removedHeads).toBe(4);
    expect(metrics.removedUnits).toBe(2 * 8);
    const heads = (b: number) => state.model.layers.filter((l) => new RegExp(`^block${b}_head\\d_query$`).test(l.name)).length;
    expect([heads(1), heads(2)]).toEqual([2, 2]);
    expect(state.model.getLayer('block2_attention_output').getWeights()[0]!.shape).toEqual([4, 8]);
    expect(state.model.getLayer('block1_ffn_inner').getWeights()[0]!.shape).toEqual([8, 24]);
    expect(state.model.getLayer('block1_head1_query').getWeights()[0]!.shape.length).toBe(2);
    expect(state.model.getLayer('embedding').getWeights()[0]!.shape).toEqual([20, 8]);
  });

  it('a selector naming a layer of a head that goes picks nothing, in this step and the next (not "matched no layer")', async () => {
    const model = buildBuiltinModel({ builtin: 'bert', dim: 8, layers: 1, heads: 2 }, [6], 2, 1, 20);
    const include = ['block1_head1_value', 'block1_head2_value'];
    const once = await prune(model, params({ heads: 0.5, sparsity: 0.5, include }));
    expect(once.metrics).toMatchObject({ removedHeads: 1, removedUnits: 2 });
    const kept = once.state.model.layers.map((l) => l.name).find((n) => /^block1_head\d_value$/.test(n))!;
    expect(once.state.model.getLayer(kept).getWeights()[0]!.shape).toEqual([8, 2]);
    const stepped = params({ heads: 0.5, sparsity: 0.5, include, steps: 2, schedule: { kind: 'polynomial', epochs: 2, power: 3, initialSparsity: 0 } });
    expect((await prune(model, stepped, new Map(), tinyBert())).metrics).toMatchObject({ removedHeads: 1, pruneSteps: 2 });
    await expect(prune(model, params({ heads: 0.5, include: ['block1_head3_value'] }))).rejects.toThrow('selector "block1_head3_value" matched no layer');
  });

  it('a heads fraction that rounds to no head says so', async () => {
    const model = buildBuiltinModel({ builtin: 'bert', dim: 8, layers: 1, heads: 2 }, [6], 2, 1, 20);
    await expect(prune(model, params({ sparsity: undefined, heads: 0.2 }))).rejects.toThrow('structured pruning removed nothing: heads 0.2 of this model round to no head, neuron or channel');
  });

  it('says before anything runs that a model has no heads or feed-forward blocks, and that bnScale cannot rank heads', () => {
    const layers = [{ name: 'in', className: 'InputLayer', inbound: [] }, { name: 'dense1', className: 'Dense', inbound: ['in'] }, { name: 'out', className: 'Dense', inbound: ['dense1'] }];
    const check = (over: Partial<PruneParams>) => pruneStage.check!(params({ sparsity: undefined, ...over }), { model: { layers }, earlier: [], recipe: {} as never });
    expect(check({ heads: 0.5, importance: 'bnScale' }).map((e) => [e.path.join('.'), e.message.slice(0, 40)])).toEqual([
      ['importance', 'importance bnScale ranks channels by the'], ['heads', 'the model has no attention with more tha']]);
    expect(check({ ffn: 0.5 }).map((e) => e.path.join('.'))).toEqual(['ffn']);
    expect(check({ ffn: 0.5, importance: 'bnScale' }).map((e) => e.message)[0]).toBe('importance bnScale ranks channels by their BatchNormalization: feed-forward neurons have none');
    expect(check({}).map((e) => e.message)).toEqual(['prune with method structured needs "sparsity"']);
    expect(check({ method: 'magnitude', sparsity: 0.5, heads: 0.5 }).map((e) => e.message)).toEqual(['"heads" applies only to method structured']);
  });
});
