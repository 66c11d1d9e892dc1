import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { NATIVE_AVAILABLE, randArray, rng } from '../../backend/native/testing.js';
import { loadBackend } from '../../backend/select.js';
import { makeOptimizer } from '../fit.js';
import { describeOutputs } from '../outputs.js';
import { applyMasks, keyedWeights } from '../weights.js';
import { expectEngineBits, stepOf, trainingState } from './testing.js';
import { trainingStepFor, type TrainingStep } from './training-step.js';

const INPUTS = 24;
const CLASSES = 5;

/** A quickstart-shaped MLP covering every Dense variant the fast step replays. */
function makeMlp(): tf.LayersModel {
  return tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [INPUTS], units: 16, activation: 'relu' }),
    tf.layers.dense({ units: 12 }),
    tf.layers.dense({ units: 10, activation: 'relu', useBias: false }),
    tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
  ] });
}

/** Two models with the same initial weights. */
function twins(): [tf.LayersModel, tf.LayersModel] {
  const a = makeMlp();
  const b = makeMlp();
  b.setWeights(a.getWeights());
  return [a, b];
}

/** Batches of 32 rows then a short one of 20 (the last batch of an epoch). */
function batches(count: number): Array<{ x: Float32Array; labels: Int32Array }> {
  const r = rng(3);
  return Array.from({ length: count }, (_, i) => {
    const rows = i % 3 === 2 ? 20 : 32;
    return { x: randArray(r, rows * INPUTS, 0, 1), labels: Int32Array.from({ length: rows }, () => Math.floor(r() * CLASSES)) };
  });
}

/** Trains `steps` batches; `afterStep` runs after each (pruning masks). Returns losses and correct counts. */
async function train(step: TrainingStep, steps: number, afterStep?: () => void): Promise<number[]> {
  const out: number[] = [];
  for (const { x, labels } of batches(steps)) {
    const xs = tf.tensor2d(x, [labels.length, INPUTS]);
    const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES);
    const { loss, correct } = await step.run(xs, ys, labels);
    out.push(loss, correct);
    tf.dispose([xs, ys]);
    afterStep?.();
  }
  return out;
}

describe('engine-free training step', () => {
  beforeAll(async () => {
    if (NATIVE_AVAILABLE) await loadBackend('native');
  });
  afterEach(async () => {
    if (tf.getBackend() !== 'native' && tf.findBackendFactory('native')) await tf.setBackend('native');
  });

  it('gives the engine path\'s losses, weights and Adam state, bit for bit', async (ctx) => {
    requireNativeAddon(ctx);
    await expectEngineBits(twins(), [0.01, 0.003], (step, second) => train(step, second ? 3 : 7));
  });

  it('keeps pruning masks an afterStep hook assigns, and leaves tensors sharing a weight alone', async (ctx) => {
    requireNativeAddon(ctx);
    const [fastModel, engineModel] = twins();
    const [o1, o2] = [makeOptimizer({ name: 'adam', learningRate: 0.01 }), makeOptimizer({ name: 'adam', learningRate: 0.01 })];
    const mask = tf.tensor(Float32Array.from({ length: INPUTS * 16 }, (_, i) => (i % 3 === 0 ? 0 : 1)), [INPUTS, 16]);
    const prune = (m: tf.LayersModel) => () => tf.tidy(() => {
      m.layers[0]!.weights[0]!.write(tf.mul(m.layers[0]!.weights[0]!.read(), mask));
    });
    const shared = fastModel.layers[1]!.weights[0]!.read().clone();
    const before = shared.dataSync().slice();
    const fast = stepOf(fastModel, o1, true);
    expect(fast.path).toBe('fast');
    const fastLosses = await train(fast, 6, prune(fastModel));
    const engineLosses = await train(stepOf(engineModel, o2, false), 6, prune(engineModel));
    expect(fastLosses).toEqual(engineLosses);
    expect(await trainingState(fastModel, o1)).toEqual(await trainingState(engineModel, o2));
    expect(shared.dataSync()).toEqual(before);
    const kernel = fastModel.layers[0]!.weights[0]!.read().dataSync();
    expect(Array.from(kernel).filter((_, i) => i % 3 === 0).every((v) => v === 0)).toBe(true);
    tf.dispose([mask, shared]);
  });

  it('multiplies the masks it is given into the weights in its Adam pass, as the engine path\'s Multiply after the step does', async (ctx) => {
    requireNativeAddon(ctx);
    const [first, second] = twins();
    const models = [first, second, makeMlp(), makeMlp()];
    for (const m of models.slice(2)) m.setWeights(first.getWeights());
    const optimizers = models.map(() => makeOptimizer({ name: 'adam', learningRate: 0.01 }));
    const maskFor = (m: tf.LayersModel) => {
      const kernels = keyedWeights(m).filter((w) => w.key.endsWith('/kernel'));
      return new Map(kernels.map((w, k) => [w.key, Float32Array.from({ length: w.variable.shape.reduce((a: number, b) => a * (b ?? 1), 1) }, (_, i) => ((i + k) % 3 === 0 ? 0 : 1))]));
    };
    const masks = models.map(maskFor);
    const steps = [stepOf(models[0]!, optimizers[0]!, true, masks[0]), stepOf(models[1]!, optimizers[1]!, false, masks[1]), stepOf(models[2]!, optimizers[2]!, true), stepOf(models[3]!, optimizers[3]!, false)];
    expect(steps.map((s) => s.path)).toEqual(['fast', 'engine', 'fast', 'engine']);
    // Before this option, stages re-applied masks with applyMasks after every step: the reference.
    const results = await Promise.all(steps.map((s, i) => train(s, 6, i >= 2 ? () => applyMasks(models[i]!, masks[i]!) : undefined)));
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
    const states = await Promise.all(models.map((m, i) => trainingState(m, optimizers[i]!)));
    for (const s of states.slice(1)) expect(s).toEqual(states[0]);
    const [key, mask] = [...masks[0]!][0]!;
    const kernel = keyedWeights(models[0]!).find((w) => w.key === key)!.variable.read().dataSync();
    expect(Array.from(kernel).every((v, i) => (mask[i] === 0 ? v === 0 : v !== 0))).toBe(true);
  });

  it('takes the engine path, with the reason, for what it does not replay', async (ctx) => {
    requireNativeAddon(ctx);
    const reasonFor = (model: tf.LayersModel, options: { sgd?: boolean; loss?: boolean; transform?: boolean } = {}) => {
      const optimizer = makeOptimizer({ name: options.sgd ? 'sgd' : 'adam', learningRate: 0.01 });
      const step = trainingStepFor({
        model, optimizer, outputs: describeOutputs(model),
        loss: options.loss ? (_x, ys, p) => tf.losses.meanSquaredError(ys, p) as tf.Scalar : undefined,
        transformGradients: options.transform ? (g) => g : undefined,
      });
      optimizer.dispose();
      return step.path === 'engine' ? step.reason : 'fast';
    };
    const dense = (units: number, activation: 'relu' | 'softmax' | 'sigmoid' | 'tanh') => tf.layers.dense({ units, activation });
    expect(reasonFor(makeMlp())).toBe('fast');
    expect(reasonFor(makeMlp(), { sgd: true })).toMatch(/adam/);
    expect(reasonFor(makeMlp(), { loss: true })).toMatch(/own loss/);
    expect(reasonFor(makeMlp(), { transform: true })).toMatch(/rewrites gradients/);
    const withDropout = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), tf.layers.dropout({ rate: 0.5 }), dense(3, 'softmax')] });
    expect(reasonFor(withDropout)).toMatch(/Dropout/);
    const tanh = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 8, activation: 'tanh' }), dense(3, 'softmax')] });
    expect(reasonFor(tanh)).toMatch(/activation tanh/);
    const regularized = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'softmax', kernelRegularizer: tf.regularizers.l2() })] });
    expect(reasonFor(regularized)).toMatch(/regularizer/);
    const frozen = makeMlp();
    frozen.layers[0]!.trainable = false;
    expect(reasonFor(frozen)).toMatch(/trainable weights/);
    await tf.setBackend('cpu');
    expect(reasonFor(makeMlp())).toMatch(/not native/);
  });
});
