import * as tf from '@tensorflow/tfjs';
import { packFloat, unpackFloat } from '../util/float-pack.js';

/** An optimizer's state as plain arrays, in the order the optimizer lists its weights. */
export interface OptimizerState {
  weights: Array<{ name: string; shape: number[]; values: Float32Array }>;
  /**
   * Adam's running powers of beta1/beta2. TF.js's setWeights recomputes them with pow(), which
   * differs in the last bits from the product accumulated step by step; restoring them keeps a
   * resumed run bit-identical to an uninterrupted one.
   */
  betaPowers?: [number, number];
}

interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

/** Reads an optimizer's full state. */
export async function saveOptimizerState(optimizer: tf.Optimizer): Promise<OptimizerState> {
  const named = await optimizer.getWeights();
  const weights = named.map((w) => ({ name: w.name, shape: w.tensor.shape, values: Float32Array.from(w.tensor.dataSync()) }));
  const adam = optimizer as unknown as AdamInternals;
  const betaPowers = adam.accBeta1 && adam.accBeta2
    ? [adam.accBeta1.dataSync()[0]!, adam.accBeta2.dataSync()[0]!] as [number, number]
    : undefined;
  return { weights, ...(betaPowers ? { betaPowers } : {}) };
}

/** Restores a state read by {@link saveOptimizerState} into a fresh optimizer of the same kind. */
export async function restoreOptimizerState(optimizer: tf.Optimizer, state: OptimizerState): Promise<void> {
  const named = state.weights.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape) }));
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  const adam = optimizer as unknown as AdamInternals;
  if (state.betaPowers && adam.accBeta1 && adam.accBeta2) {
    adam.accBeta1.assign(tf.scalar(state.betaPowers[0]));
    adam.accBeta2.assign(tf.scalar(state.betaPowers[1]));
  }
}

/** Optimizer state as bytes (a JSON header line, then the float32 data) for checkpoints. */
export function encodeOptimizerState(state: OptimizerState): { json: string; data: Uint8Array } {
  const { bytes } = packFloat(state.weights.map((w) => [w.name, w.values] as [string, Float32Array]));
  const json = JSON.stringify({ weights: state.weights.map((w) => ({ name: w.name, shape: w.shape })), betaPowers: state.betaPowers });
  return { json, data: bytes };
}

/** The inverse of {@link encodeOptimizerState}. */
export function decodeOptimizerState(json: string, bytes: Uint8Array): OptimizerState {
  const header = JSON.parse(json) as { weights: Array<{ name: string; shape: number[] }>; betaPowers?: [number, number] };
  const values = unpackFloat(header.weights.map((w) => ({ key: w.name, length: w.shape.reduce((a, b) => a * b, 1) })), bytes);
  const weights = header.weights.map((w) => ({ ...w, values: values.get(w.name)! }));
  return { weights, ...(header.betaPowers ? { betaPowers: header.betaPowers } : {}) };
}
