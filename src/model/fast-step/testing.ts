/** Helpers of the engine-free step's tests: steps on either path and the training state as bytes. */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { makeOptimizer } from '../fit.js';
import { describeOutputs } from '../outputs.js';
import { trainingStepFor, type TrainingStep } from './training-step.js';

/** The model's training step, engine-free when `fast` (if eligible), else forced onto the engine path. */
export function stepOf(model: tf.LayersModel, optimizer: tf.Optimizer, fast: boolean, masks?: Map<string, Float32Array>): TrainingStep {
  const saved = process.env.CONDENSE_FAST_STEP;
  if (!fast) process.env.CONDENSE_FAST_STEP = 'off';
  try {
    return trainingStepFor({ model, optimizer, outputs: describeOutputs(model), ...(masks ? { masks } : {}) });
  } finally {
    if (saved === undefined) delete process.env.CONDENSE_FAST_STEP;
    else process.env.CONDENSE_FAST_STEP = saved;
  }
}

/** Every weight of the model and every variable of the optimizer (moments, beta powers, iterations), as bytes. */
export async function trainingState(model: tf.LayersModel, optimizer: tf.Optimizer): Promise<Uint8Array[]> {
  const adam = optimizer as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
  const tensors = [...model.getWeights(), ...(await optimizer.getWeights()).map((w) => w.tensor), adam.accBeta1, adam.accBeta2];
  return tensors.map((t) => new Uint8Array(Float32Array.from(t.dataSync()).buffer));
}

/**
 * Trains `models[0]` on the engine-free step and `models[1]` (the same weights) on the engine path,
 * each for two epochs of `epoch` with Adam at `rates[0]`, then `rates[1]` (a schedule's change
 * between epochs), and expects the same losses, weights and optimizer state, byte for byte.
 */
export async function expectEngineBits(models: [tf.LayersModel, tf.LayersModel], rates: [number, number], epoch: (step: TrainingStep, second: boolean) => Promise<number[]>): Promise<void> {
  const optimizers = models.map(() => makeOptimizer({ name: 'adam', learningRate: rates[0] }));
  const steps = [stepOf(models[0], optimizers[0]!, true), stepOf(models[1], optimizers[1]!, false)];
  expect(steps.map((s) => s.path)).toEqual(['fast', 'engine']);
  const losses: number[][] = [];
  for (const [i, step] of steps.entries()) {
    const first = await epoch(step, false);
    (optimizers[i] as unknown as { learningRate: number }).learningRate = rates[1];
    losses.push([...first, ...await epoch(step, true)]);
  }
  expect(losses[0]).toEqual(losses[1]);
  expect(losses[0]![0]).not.toEqual(losses[0]!.at(-2)); // it trained
  expect(await trainingState(models[0], optimizers[0]!)).toEqual(await trainingState(models[1], optimizers[1]!));
}
