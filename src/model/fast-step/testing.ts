/** Helpers of the engine-free step's tests: steps on either path and the training state as bytes. */
import * as tf from '@tensorflow/tfjs';
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
