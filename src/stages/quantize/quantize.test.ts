import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { parameterStats } from '../../model/inspect.js';
import { loadModelFromFiles, modelFiles } from '../../model/io.js';
import { keyedWeights, readWeight, writeWeight } from '../../model/weights.js';
import { CONSTANT_LR, mlpTestState, runTestStage, TEST_ADAM } from '../testing.js';
import { trainStage } from '../train/train.js';
import { quantizeStage } from './quantize.js';

let data: Dataset;
beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(800);
});

describe('quantize', () => {
  it('stores every weight quantized per the manifest, decodable by the stock loader within scale/2', async () => {
    const trained = (await runTestStage(trainStage, { epochs: 1, batchSize: 64, optimizer: TEST_ADAM, lrSchedule: CONSTANT_LR }, mlpTestState(), data)).state;
    const original = new Map(keyedWeights(trained.model).map((w) => [w.key, readWeight(w)]));
    const { state } = await runTestStage(quantizeStage, { weights: { dtype: 'uint8', include: [], exclude: [], keepLarger: true, maxRelativeError: 1 } }, trained, data);
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

  it('records each weight\'s reconstruction error as its own kind of state, and flags tensors made larger', async () => {
    const trained = (await runTestStage(trainStage, { epochs: 1, batchSize: 64, optimizer: TEST_ADAM, lrSchedule: CONSTANT_LR }, mlpTestState(), data)).state;
    const original = new Map(keyedWeights(trained.model).map((w) => [w.key, readWeight(w)]));
    const { state, metrics } = await runTestStage(quantizeStage, { weights: { dtype: 'uint8', include: [], exclude: [], keepLarger: true, maxRelativeError: 1 } }, trained, data);
    const errors = state.quantizationError as Map<string, { rmse: number; maxAbs: number; relative: number; larger?: true }>;
    expect([...errors.keys()].sort()).toEqual([...original.keys()].sort());
    for (const w of keyedWeights(state.model)) {
      const source = original.get(w.key)!;
      const decoded = readWeight(w);
      let squared = 0;
      let maxAbs = 0;
      for (let i = 0; i < source.length; i++) {
        squared += (decoded[i]! - source[i]!) ** 2;
        maxAbs = Math.max(maxAbs, Math.abs(decoded[i]! - source[i]!));
      }
      expect(errors.get(w.key)!.rmse).toBeCloseTo(Math.sqrt(squared / source.length), 9);
      expect(errors.get(w.key)!.maxAbs).toBe(maxAbs);
      // The 10-value output bias saves 30 bytes but its manifest entry costs more: larger stored as uint8.
      expect(errors.get(w.key)!.larger === true).toBe(source.length * 3 < 60);
    }
    expect(metrics.largerQuantizedTensors).toBe([...errors.values()].filter((e) => e.larger).length);
    expect(metrics.largerQuantizedTensors).toBeGreaterThan(0);
    expect(metrics.maxRelativeQuantizationError).toBe(Math.max(...[...errors.values()].map((e) => e.relative)));
    // Training again releases it with the quantization: both describe the weights' values.
    const retrained = (await runTestStage(trainStage, { epochs: 1, batchSize: 64, optimizer: TEST_ADAM, lrSchedule: CONSTANT_LR }, state, data)).state;
    expect(retrained.quantization.size).toBe(0);
    expect((retrained.quantizationError as Map<string, unknown>).size).toBe(0);
  });

  it('by default keeps float32 the tensors quantizing would make larger or distort past maxRelativeError, and says so', async () => {
    const state = mlpTestState(4, [8]);
    // One outlier in dense1's kernel (glorot values within ±0.09) stretches the uint8 grid until the others round to ~11 levels.
    const kernel = keyedWeights(state.model).find((w) => w.key === 'dense1/kernel')!;
    const values = readWeight(kernel);
    values[0] = 4;
    writeWeight(kernel, values);
    const { state: out, metrics } = await runTestStage(quantizeStage, { weights: { dtype: 'uint8', include: [], exclude: [], keepLarger: false, maxRelativeError: 0.05 } }, state, data);
    const errors = out.quantizationError as Map<string, { relative: number; larger?: true; keptFloat?: string }>;
    expect(errors.get('dense1/kernel')!.keptFloat).toBe('error');
    expect(errors.get('dense1/kernel')!.relative).toBeGreaterThan(0.05);
    const small = [...errors].filter(([, e]) => e.larger).map(([k]) => k);
    expect(small.length).toBeGreaterThan(0);
    for (const key of small) expect(errors.get(key)!.keptFloat).toBe('larger');
    expect(metrics.floatTensors).toBe(small.length + 1);
    expect(metrics.largerQuantizedTensors).toBe(0);
    const files = await modelFiles(out.model, out.quantization);
    const specs = JSON.parse(new TextDecoder().decode(files.get('model.json'))).weightsManifest[0].weights as Array<{ name: string; quantization?: unknown }>;
    const quantizedNames = specs.filter((s) => s.quantization).map((s) => s.name).sort();
    expect(quantizedNames).toEqual(['output/kernel']);
    expect(readWeight(keyedWeights(out.model).find((w) => w.key === 'dense1/kernel')!)[0]).toBe(4);
  });
});
