/**
 * Forward and backward passes of a Dense chain on raw arrays, calling the addon kernels TF.js's
 * engine path runs, in its order and with its arguments (a relu Dense in training is tfjs-core's
 * unfused BatchMatMul, Add, Relu; a linear or activation-less one is _FusedMatMul, i.e. a
 * BatchMatMul then the addon's in-place biasAct; the softmax layer is the latter plus Add and
 * Softmax). Every buffer is allocated once per batch size and reused.
 */
import { BINARY_OPS, UNARY_OPS } from '../../backend/native/elementwise.js';
import { addon } from '../../backend/native/util.js';
import type { DensePlan } from './plan.js';

/** The Relu gradient's op code in the addon's maskGrad. */
const RELU_GRAD = 0;

/** One layer's buffers for a batch of `rows`: matmul output, bias-added and activated values, and gradients. */
export interface DenseBuffers {
  /** input · kernel (for linear layers also + bias, in place): [rows, units]. */
  product: Float32Array;
  /** product + bias (relu and softmax layers with a bias): [rows, units]. */
  biased?: Float32Array;
  /** The layer's output (relu / softmax / the product itself when linear). */
  output: Float32Array;
  /** Gradient with respect to the pre-activation values: [rows, units]. */
  preGrad: Float32Array;
  /** Gradient with respect to the layer's input (unused for the first layer): [rows, inUnits]. */
  inputGrad: Float32Array;
  kernelGrad: Float32Array;
  biasGrad?: Float32Array;
}

/** Allocates one layer's buffers for `rows` examples. */
export function denseBuffers(layer: DensePlan, rows: number): DenseBuffers {
  const n = rows * layer.units;
  const product = new Float32Array(n);
  const separateBias = layer.bias !== undefined && layer.activation !== 'linear';
  const biased = separateBias ? new Float32Array(n) : undefined;
  return {
    product, biased, output: layer.activation === 'linear' ? product : new Float32Array(n),
    preGrad: new Float32Array(n), inputGrad: new Float32Array(rows * layer.inUnits),
    kernelGrad: new Float32Array(layer.inUnits * layer.units), biasGrad: layer.bias ? new Float32Array(layer.units) : undefined,
  };
}

/** The layer's forward pass on `input` [rows, inUnits] into `buf.output`. */
export function denseForward(layer: DensePlan, buf: DenseBuffers, input: Float32Array, kernel: Float32Array,
  bias: Float32Array | undefined, rows: number): void {
  const a = addon();
  const n = layer.units;
  a.batchMatMul(input, kernel, buf.product, 1, 1, 1, rows, n, layer.inUnits, 0, 0);
  if (layer.activation === 'linear') {
    a.biasAct(buf.product, rows, n, bias ?? null, UNARY_OPS.Linear, 0.2);
    return;
  }
  if (layer.activation === 'softmax') a.biasAct(buf.product, rows, n, null, UNARY_OPS.Linear, 0.2);
  const pre = preActivation(buf);
  if (bias && buf.biased) a.binary(BINARY_OPS.Add, buf.product, [rows, n], bias, [1, n], buf.biased, [rows, n]);
  if (layer.activation === 'relu') a.unary(UNARY_OPS.Relu, pre, buf.output, 0, 0);
  else a.softmax(pre, buf.output, rows, n);
}

/** The values the activation was applied to. */
function preActivation(buf: DenseBuffers): Float32Array {
  return buf.biased ?? buf.product;
}

/**
 * The layer's backward pass from `outputGrad` (for softmax layers: the gradient with respect to
 * the softmax's input, which the loss computes): kernel and bias gradients, and the input's
 * gradient unless `needInputGrad` is false (the model's input).
 */
export function denseBackward(layer: DensePlan, buf: DenseBuffers, input: Float32Array, kernel: Float32Array,
  outputGrad: Float32Array, rows: number, needInputGrad: boolean): void {
  const a = addon();
  const n = layer.units;
  const k = layer.inUnits;
  let grad = outputGrad;
  if (layer.activation === 'relu') {
    a.maskGrad(RELU_GRAD, outputGrad, preActivation(buf), buf.preGrad, 0, 0);
    grad = buf.preGrad;
  }
  if (buf.biasGrad) {
    buf.biasGrad.fill(0);
    a.reduce(0, grad, buf.biasGrad, 1, rows, n);
  }
  if (needInputGrad) a.batchMatMul(grad, kernel, buf.inputGrad, 1, 1, 1, rows, k, n, 0, 1);
  a.batchMatMul(input, grad, buf.kernelGrad, 1, 1, 1, k, n, rows, 1, 0);
}
