/**
 * Which training steps can run engine-free: the one place that decides, with the reason when not.
 * The engine-free step (./step.ts) replays exactly the native kernels TF.js runs for a chain of
 * NHWC Conv2D (relu or linear) and MaxPooling2D layers, a Flatten, then Dense layers, trained on
 * softmax cross-entropy with Adam, so anything it does not replay — other layers or settings,
 * losses, optimizers, gradient rewrites, regularizers — takes the engine path.
 */
import * as tf from '@tensorflow/tfjs';
import { FusedAdamOptimizer } from '../../backend/native/adam.js';
import { NativeBackend } from '../../backend/native/backend.js';
import type { ModelOutputs } from '../outputs.js';
import { convPlan, poolPlan, type ConvPlan, type PoolPlan } from './conv-plan.js';
import { extrasReason, type LayerWeight, type WeightFields } from './layer-fields.js';

export type { ConvPlan, PoolPlan } from './conv-plan.js';
export type { LayerWeight } from './layer-fields.js';

/** One Dense layer of a chain: `activation(input · kernel + bias)`, input [rows, inUnits]. */
export interface DensePlan {
  kind: 'dense';
  kernel: LayerWeight;
  bias?: LayerWeight;
  activation: 'relu' | 'linear' | 'softmax';
  inUnits: number;
  units: number;
}

/** A layer of the chain (Flatten and InputLayer have none: NHWC flattens without moving data). */
export type LayerPlan = DensePlan | ConvPlan | PoolPlan;

/** The engine-free step's layers and its number of classes (the softmax's units). */
export interface FastChain {
  layers: LayerPlan[];
  classes: number;
}

/** The engine-free step's chain, or why the step must take the engine path. */
export type FastStepPlan = ({ ok: true } & FastChain) | { ok: false; reason: string };

/** What decides eligibility besides the model. */
export interface FastStepContext {
  optimizer: tf.Optimizer;
  outputs: ModelOutputs;
  /** A custom loss or gradient rewrite forces the engine path. */
  customLoss?: boolean;
  transformGradients?: boolean;
}

/** Decides whether `model` trains engine-free in `context`; `reason` says why not. */
export function planFastStep(model: tf.LayersModel, context: FastStepContext): FastStepPlan {
  const no = (reason: string): FastStepPlan => ({ ok: false, reason });
  if (process.env.CONDENSE_FAST_STEP === 'off') return no('CONDENSE_FAST_STEP=off');
  if (!(tf.backend() instanceof NativeBackend)) return no(`backend ${tf.getBackend()} is not native`);
  // tf.Optimizer defines Symbol.hasInstance (any optimizer is "instanceof" any other): compare classes
  if (context.optimizer.constructor !== FusedAdamOptimizer) return no('the optimizer is not adam');
  if (context.customLoss) return no('the stage has its own loss');
  if (context.transformGradients) return no('the stage rewrites gradients');
  if (context.outputs.kind !== 'classification' || context.outputs.scores !== 'probabilities') {
    return no(`the output is ${context.outputs.kind} of ${context.outputs.scores}, not class probabilities`);
  }
  const chain = chainLayers(model);
  if (typeof chain === 'string') return no(chain);
  const layers: LayerPlan[] = [];
  for (const layer of chain) {
    const plan = layerPlan(layer, layers.length === 0);
    if (typeof plan === 'string') return no(`layer ${layer.name}: ${plan}`);
    if (plan) layers.push(plan);
  }
  const last = layers.at(-1);
  if (last?.kind !== 'dense' || last.activation !== 'softmax') return no('the last layer is not a softmax Dense');
  if (layers.slice(0, -1).some((l) => l.kind === 'dense' && l.activation === 'softmax')) return no('softmax before the last layer');
  return weightsMatch(model, layers) ? { ok: true, layers, classes: last.units } : no('the trainable weights are not exactly the layers\' kernels and biases, in order');
}

/** A layer's plan, undefined for layers that leave the data as it is, or why it cannot be replayed. */
function layerPlan(layer: tf.layers.Layer, first: boolean): LayerPlan | undefined | string {
  const name = layer.getClassName();
  if (name === 'InputLayer') return undefined;
  const input = layer.input as tf.SymbolicTensor;
  if (Array.isArray(input)) return 'it has several inputs';
  if (first && input.dtype !== 'float32') return 'the model input is not float32';
  if (name === 'Flatten') {
    return (layer as unknown as { dataFormat?: string }).dataFormat === 'channelsFirst' ? 'it flattens channels first' : undefined;
  }
  if (name === 'Conv2D') return convPlan(layer, input);
  if (name === 'MaxPooling2D') return poolPlan(layer, input);
  if (name === 'Dense') return densePlan(layer, input);
  return `${name} layers take the engine path`;
}

/** The layers of a single-input, single-output chain in order, or why it is not one. */
function chainLayers(model: tf.LayersModel): tf.layers.Layer[] | string {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return 'the model has several inputs or outputs';
  const layers = model.layers;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    const nodes = (layer as unknown as { inboundNodes: Array<{ inboundLayers: tf.layers.Layer[] }> }).inboundNodes;
    if (nodes.length !== 1) return `layer ${layer.name} is used ${nodes.length} times`;
    const from = nodes[0]!.inboundLayers;
    const expected = i === 0 ? [] : [layers[i - 1]!];
    const firstOfSequential = i === 0 && from.length === 1 && from[0]!.getClassName() === 'InputLayer';
    if (!firstOfSequential && (from.length !== expected.length || from.some((l, j) => l !== expected[j]))) {
      return `layer ${layer.name} does not take the previous layer's output alone`;
    }
  }
  const lastLayer = layers.at(-1);
  if (!lastLayer || model.outputs[0] !== lastLayer.output) return 'the output is not the last layer\'s';
  return layers;
}

/** The plan of one Dense layer, or why it cannot be replayed. */
function densePlan(layer: tf.layers.Layer, input: tf.SymbolicTensor): DensePlan | string {
  const d = layer as unknown as WeightFields & { units: number };
  const extras = extrasReason(d);
  if (extras) return extras;
  if (input.shape.length !== 2) return 'its input is not [rows, features]';
  const activation = String(layer.getConfig().activation ?? 'linear');
  if (activation !== 'relu' && activation !== 'linear' && activation !== 'softmax') return `activation ${activation}`;
  const inUnits = input.shape[1]!;
  return { kind: 'dense', kernel: d.kernel, bias: d.bias ?? undefined, activation, inUnits, units: d.units };
}

/** True when the model's trainable weights are the plan's kernels and biases in order (Adam's moment order), and nothing else. */
function weightsMatch(model: tf.LayersModel, layers: LayerPlan[]): boolean {
  const expected = layers.flatMap((l) => (l.kind === 'pool' ? [] : l.bias ? [l.kernel, l.bias] : [l.kernel]));
  const trainable = model.trainableWeights as unknown as LayerWeight[];
  return model.weights.length === expected.length && trainable.length === expected.length &&
    trainable.every((w, i) => w === expected[i] && w.read().dtype === 'float32');
}
