import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBuiltinModel } from '../src/model/builtin.js';
import { accuracyAndLoss, parameterStats } from '../src/model/inspect.js';
import { loadModelFromFiles, modelFiles } from '../src/model/io.js';
import { keyedWeights, prunableWeights, readWeight, SelectorError, selectLayers } from '../src/model/weights.js';
import { distillStage } from '../src/stages/distill/distill.js';
import { evaluateStage } from '../src/stages/evaluate/evaluate.js';
import { exportStage } from '../src/stages/export/export.js';
import { finetuneStage } from '../src/stages/finetune/finetune.js';
import { pruneStage } from '../src/stages/prune/prune.js';
import type { PruneParams } from '../src/stages/prune/prune.js';
import { quantizeStage } from '../src/stages/quantize/quantize.js';
import { trainStage } from '../src/stages/train/train.js';
import type { ModelState, StageContext, StageDefinition, StageProgress } from '../src/stages/types.js';
import type { Dataset } from '../src/data/types.js';
import { tinyMnist, useTestBackend } from './helpers.js';

let data: Dataset;
const adam = { name: 'adam' as const, learningRate: 0.01 };
const constant = { kind: 'constant' as const };

function freshState(seed = 1, hidden = [16]): ModelState {
  return { model: buildBuiltinModel({ builtin: 'mlp', hidden }, [784], 10, seed), masks: new Map(), quantization: new Map() };
}

function context<P>(params: P, input: ModelState, extra: Partial<StageContext<P>> = {}): StageContext<P> & { events: StageProgress[] } {
  const events: StageProgress[] = [];
  return {
    name: 'test', params, seed: 3, recipe: {} as never, input, data,
    loadStageModel: async () => { throw new Error('no stages'); },
    freshState: (model) => ({ model, masks: new Map(), quantization: new Map() }),
    loadModelPath: async () => { throw new Error('no paths'); },
    progress: (p) => events.push(p),
    saveSnapshot: async () => {},
    signal: new AbortController().signal,
    events,
    ...extra,
  };
}

async function run<P>(stage: StageDefinition<P>, params: P, input: ModelState, extra: Partial<StageContext<P>> = {}) {
  const ctx = context(params, input, extra);
  const result = await stage.run(ctx);
  return { ...result, events: ctx.events };
}

beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(800);
});

describe('train', () => {
  it('follows the learning-rate schedule and stops early when the loss stalls', async () => {
    const { history } = await run(trainStage, {
      epochs: 6, batchSize: 64, optimizer: adam, lrSchedule: { kind: 'step', decay: 0.5, every: 1 },
      earlyStopping: { patience: 1, minDelta: 10 },
    }, freshState());
    // No epoch can improve the loss by 10: the second epoch is the last.
    expect(history!.map((h) => h.learningRate)).toEqual([0.01, 0.005]);
  });

  it('raises held-out accuracy well above chance and reports epoch progress', async () => {
    const state = freshState();
    const before = accuracyAndLoss(state.model, data.test, data).accuracy;
    const { state: out, history, events } = await run(trainStage, { epochs: 3, batchSize: 32, optimizer: adam, lrSchedule: constant }, state);
    const after = accuracyAndLoss(out.model, data.test, data).accuracy;
    expect(after).toBeGreaterThan(0.6);
    expect(after).toBeGreaterThan(before + 0.3);
    expect(history).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ epoch: 3, epochs: 3 });
  });

  it('is deterministic: same seed, same weights', async () => {
    const a = await run(trainStage, { epochs: 1, batchSize: 64, optimizer: adam, lrSchedule: constant }, freshState(5));
    const b = await run(trainStage, { epochs: 1, batchSize: 64, optimizer: adam, lrSchedule: constant }, freshState(5));
    const wa = a.state.model.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.state.model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wa).toEqual(wb);
  });
});

const pruneParams = (over: Partial<PruneParams>): PruneParams => ({
  method: 'magnitude', sparsity: 0.8, scope: 'global', schedule: { kind: 'oneShot' }, include: [], exclude: [],
  n: 2, m: 4, batchSize: 64, optimizer: adam, lrSchedule: constant, ...over,
});

describe('prune', () => {
  it('oneShot reaches the target sparsity exactly over the selected kernels', async () => {
    const { state } = await run(pruneStage, pruneParams({ sparsity: 0.8, include: ['re:^dense'] }), freshState());
    const kernel = readWeight(prunableWeights(state.model).find((w) => w.key === 'dense1/kernel')!);
    const zeros = kernel.filter((v) => v === 0).length;
    expect(zeros).toBe(Math.floor(0.8 * kernel.length));
    const output = readWeight(prunableWeights(state.model).find((w) => w.key === 'output/kernel')!);
    expect(output.filter((v) => v === 0).length).toBe(0);
  });

  it('polynomial raises sparsity during training and ends at the target', async () => {
    const { state, events } = await run(pruneStage,
      pruneParams({ sparsity: 0.7, schedule: { kind: 'polynomial', epochs: 2, power: 3, initialSparsity: 0 } }), freshState());
    const sparsities = events.map((e) => e.sparsity!);
    expect(sparsities[0]).toBe(0);
    expect(Math.max(...sparsities)).toBeGreaterThan(0.5);
    for (let i = 1; i < sparsities.length; i++) expect(sparsities[i]!).toBeGreaterThanOrEqual(sparsities[i - 1]!);
    expect(parameterStats(state.model).sparsity).toBeCloseTo(0.7, 2);
  });

  it('layer scope prunes every layer to the target', async () => {
    const { state } = await run(pruneStage, pruneParams({ sparsity: 0.5, scope: 'layer' }), freshState());
    for (const w of prunableWeights(state.model)) {
      const v = readWeight(w);
      expect(v.filter((x) => x === 0).length).toBe(Math.floor(0.5 * v.length));
    }
  });

  it('nm keeps exactly n of every m weights down each column of each selected kernel', async () => {
    const { state } = await run(pruneStage, pruneParams({ method: 'nm', n: 2, m: 4, include: ['dense1'] }), freshState());
    const kernel = readWeight(prunableWeights(state.model).find((w) => w.key === 'dense1/kernel')!);
    const outputs = 16;
    for (let o = 0; o < outputs; o++) {
      for (let start = 0; start < 784; start += 4) {
        let kept = 0;
        for (let r = start; r < start + 4; r++) if (kernel[r * outputs + o] !== 0) kept++;
        expect(kept).toBe(2);
      }
    }
    expect(parameterStats(state.model).sparsity).toBeGreaterThan(0.45);
  });

  it('a selector that matches nothing is an error naming it', async () => {
    const s = freshState();
    expect(() => selectLayers(s.model, ['re:^conv'], [])).toThrow(SelectorError);
    expect(() => selectLayers(s.model, ['dens1'], [])).toThrow(/"dens1" matched no layer/);
    expect(selectLayers(s.model, ['type:Dense'], ['output']).map((l) => l.name)).toEqual(['dense1']);
  });
});

describe('finetune', () => {
  it('keeps every pruned weight at zero while the others train', async () => {
    const pruned = await run(pruneStage, pruneParams({ sparsity: 0.75 }), freshState());
    const before = readWeight(keyedWeights(pruned.state.model).find((w) => w.key === 'dense1/kernel')!);
    const { state } = await run(finetuneStage, { epochs: 1, batchSize: 32, optimizer: adam, lrSchedule: constant }, pruned.state);
    const after = readWeight(keyedWeights(state.model).find((w) => w.key === 'dense1/kernel')!);
    let changed = 0;
    for (let i = 0; i < before.length; i++) {
      if (before[i] === 0) expect(after[i] === 0).toBe(true); // -0 counts as zero
      else if (after[i] !== before[i]) changed++;
    }
    expect(changed).toBeGreaterThan(before.filter((v) => v !== 0).length * 0.5);
  });
});

describe('distill', () => {
  it('moves the student toward the teacher', async () => {
    const teacher = (await run(trainStage, { epochs: 3, batchSize: 32, optimizer: adam, lrSchedule: constant }, freshState(1, [32]))).state.model;
    const disagreement = (student: tf.LayersModel) => tf.tidy(() => {
      const xs = tf.tensor2d(data.test.x, [data.test.count, 784]);
      const pt = teacher.predict(xs) as tf.Tensor;
      const ps = student.predict(xs) as tf.Tensor;
      return tf.mean(tf.sum(tf.mul(pt, tf.sub(tf.log(tf.add(pt, 1e-7)), tf.log(tf.add(ps, 1e-7)))), -1)).dataSync()[0]!;
    });
    const student = freshState(9, [8]);
    const klBefore = disagreement(student.model);
    const { state } = await run(distillStage, {
      teacher: 'stage:teacher', temperature: 4, alpha: 1, epochs: 2, batchSize: 32, optimizer: adam, lrSchedule: constant,
    }, student, { loadStageModel: async () => ({ model: await loadModelFromFiles(await modelFiles(teacher)), masks: new Map(), quantization: new Map() }) });
    expect(disagreement(state.model)).toBeLessThan(klBefore * 0.6);
  });
});

describe('quantize, evaluate, export', () => {
  it('stores every weight quantized per the manifest, decodable by the stock loader within scale/2', async () => {
    const trained = (await run(trainStage, { epochs: 1, batchSize: 64, optimizer: adam, lrSchedule: constant }, freshState())).state;
    const original = new Map(keyedWeights(trained.model).map((w) => [w.key, readWeight(w)]));
    const { state } = await run(quantizeStage, { weights: { dtype: 'uint8', include: [], exclude: [] } }, trained);
    const files = await modelFiles(state.model, state.quantization);
    const json = JSON.parse(new TextDecoder().decode(files.get('model.json')));
    const specs = json.weightsManifest[0].weights as Array<{ name: string; quantization?: { dtype: string; scale: number } }>;
    expect(specs.every((s) => s.quantization?.dtype === 'uint8')).toBe(true);
    const shardBytes = [...files].filter(([n]) => n !== 'model.json').reduce((n, [, b]) => n + b.length, 0);
    expect(shardBytes).toBe(parameterStats(state.model).params);
    const loaded = await loadModelFromFiles(files);
    for (const w of keyedWeights(loaded)) {
      const scale = specs.find((s) => s.name === w.variable.originalName)!.quantization!.scale;
      const decoded = readWeight(w);
      const source = original.get(w.key)!;
      for (let i = 0; i < decoded.length; i++) expect(Math.abs(decoded[i]! - source[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-6);
    }
  });

  it('evaluate measures the exported size exactly; export returns the model files', async () => {
    const state = freshState();
    state.quantization.set('dense1/kernel', { dtype: 'float16' });
    const { metrics } = await run(evaluateStage, { metrics: ['sizeBytes', 'gzipBytes', 'latencyMs'], latencyRuns: 5 }, state);
    const { artifacts } = await run(exportStage, { format: 'layers-model' }, state);
    const total = [...artifacts!.values()].reduce((n, b) => n + b.length, 0);
    expect(metrics.sizeBytes).toBe(total);
    expect(metrics.gzipBytes).toBeGreaterThan(0);
    expect(metrics.latencyMs).toBeGreaterThan(0);
    expect([...artifacts!.keys()]).toContain('export/model.json');
  });
});
