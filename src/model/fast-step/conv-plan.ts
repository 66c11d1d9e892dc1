/**
 * Plans of the image layers the engine-free step replays: NHWC Conv2D (relu or linear, with or
 * without bias, valid or same padding, any strides, dilation 1) and MaxPooling2D. Anything else
 * about them — channels first, dilation, other activations or paddings — is a reason to take the
 * engine path.
 */
import type * as tf from '@tensorflow/tfjs';
import { extrasReason, type LayerWeight, type WeightFields } from './layer-fields.js';

/** [height, width, channels] of one example. */
export type ImageShape = [number, number, number];

/** One Conv2D layer: `activation(conv2d(input, kernel) + bias)` on NHWC images. */
export interface ConvPlan {
  kind: 'conv';
  kernel: LayerWeight;
  bias?: LayerWeight;
  activation: 'relu' | 'linear';
  strides: [number, number];
  pad: 'same' | 'valid';
  dilations: [number, number];
  inShape: ImageShape;
  outShape: ImageShape;
  /** [filterHeight, filterWidth, inChannels, outChannels]. */
  filterShape: [number, number, number, number];
}

/** One MaxPooling2D layer on NHWC images. */
export interface PoolPlan {
  kind: 'pool';
  filterSize: [number, number];
  strides: [number, number];
  pad: 'same' | 'valid';
  inShape: ImageShape;
  outShape: ImageShape;
}

interface ConvFields extends WeightFields {
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
}

interface PoolFields {
  poolSize: number[];
  strides: number[];
  padding: string;
  dataFormat: string;
}

/** The plan of one Conv2D layer, or why it cannot be replayed. */
export function convPlan(layer: tf.layers.Layer, input: tf.SymbolicTensor): ConvPlan | string {
  const c = layer as unknown as ConvFields;
  const extras = extrasReason(c);
  if (extras) return extras;
  const shapes = imageShapes(layer, input, c.dataFormat, c.padding);
  if (typeof shapes === 'string') return shapes;
  const dilations = Array.isArray(c.dilationRate) ? c.dilationRate : [c.dilationRate, c.dilationRate];
  if (dilations.length !== 2 || dilations.some((d) => d !== 1)) return `dilation rate ${dilations.join(',')}`;
  const activation = String(layer.getConfig().activation ?? 'linear');
  if (activation !== 'relu' && activation !== 'linear') return `activation ${activation}`;
  const filterShape = c.kernel.read().shape;
  if (filterShape.length !== 4) return 'its kernel is not [height, width, in, out]';
  return {
    kind: 'conv', kernel: c.kernel, bias: c.bias ?? undefined, activation, strides: pair(c.strides),
    pad: c.padding as 'same' | 'valid', dilations: [1, 1], ...shapes, filterShape: filterShape as ConvPlan['filterShape'],
  };
}

/** The plan of one MaxPooling2D layer, or why it cannot be replayed. */
export function poolPlan(layer: tf.layers.Layer, input: tf.SymbolicTensor): PoolPlan | string {
  const p = layer as unknown as PoolFields;
  const shapes = imageShapes(layer, input, p.dataFormat, p.padding);
  if (typeof shapes === 'string') return shapes;
  return { kind: 'pool', filterSize: pair(p.poolSize), strides: pair(p.strides), pad: p.padding as 'same' | 'valid', ...shapes };
}

/** The layer's per-example input and output shapes when it is NHWC with valid or same padding, else why not. */
function imageShapes(layer: tf.layers.Layer, input: tf.SymbolicTensor, dataFormat: string,
  padding: string): { inShape: ImageShape; outShape: ImageShape } | string {
  if (dataFormat !== 'channelsLast') return `data format ${dataFormat} (only channels last, NHWC, is replayed)`;
  if (padding !== 'same' && padding !== 'valid') return `padding ${padding}`;
  const output = layer.output as tf.SymbolicTensor;
  const known = (shape: readonly (number | null)[]) => shape.length === 4 && shape.slice(1).every((d) => typeof d === 'number' && d > 0);
  if (Array.isArray(output) || !known(input.shape) || !known(output.shape)) return 'its input or output is not [rows, height, width, channels]';
  return { inShape: input.shape.slice(1) as ImageShape, outShape: output.shape.slice(1) as ImageShape };
}

function pair(values: number[]): [number, number] {
  return [values[0]!, values[1]!];
}
