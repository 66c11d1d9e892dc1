/**
 * Cross-entropy of softmax probabilities (src/compress/distill.ts crossEntropy:
 * `neg(mean(sum(mul(y, log(clipByValue(p, EPSILON, 1))), -1)))`) and its gradient down to the
 * softmax's input, as the addon kernels TF.js's engine runs for it: tfjs-core's gradients of Neg,
 * Mean (condense's CondenseMeanGrad), Sum, Mul, Log, ClipByValue (CondenseClipByValueGrad) and
 * Softmax, with the same shapes, so the bits are the engine path's.
 */
import { BINARY_OPS, UNARY_OPS } from '../../backend/native/elementwise.js';
import { addon } from '../../backend/native/util.js';

const EPSILON = 1e-7;
const CLIP_GRAD = 1;
const SUM = 0;
const MEAN = 3;

/** The loss's buffers for a batch of `rows` x `classes`. */
export interface LossBuffers {
  clipped: Float32Array;
  logs: Float32Array;
  products: Float32Array;
  rowSums: Float32Array;
  mean: Float32Array;
  loss: Float32Array;
  /** The engine's seed gradient (ones of the loss's shape), Neg's gradient, Mean's divisor and gradient. */
  seed: Float32Array;
  negGrad: Float32Array;
  divisor: Float32Array;
  meanGrad: Float32Array;
  /** Sum's gradient multiplies by ones of the input's shape. */
  ones: Float32Array;
  g: Float32Array[];
  /** Gradient with respect to the softmax's input. */
  logitsGrad: Float32Array;
}

/** Allocates the loss's buffers. */
export function lossBuffers(rows: number, classes: number): LossBuffers {
  const n = rows * classes;
  const f = (size: number) => new Float32Array(size);
  return {
    clipped: f(n), logs: f(n), products: f(n), rowSums: f(rows), mean: f(1), loss: f(1),
    seed: Float32Array.of(1), negGrad: f(1), divisor: Float32Array.of(rows), meanGrad: f(rows),
    ones: new Float32Array(n).fill(1), g: [f(n), f(n), f(n), f(n), f(n), f(rows), f(n)], logitsGrad: f(n),
  };
}

/** The batch's mean loss of `probs` against one-hot `targets` (both [rows, classes]), as float32. */
export function crossEntropyForward(buf: LossBuffers, probs: Float32Array, targets: Float32Array, rows: number, classes: number): number {
  const a = addon();
  const shape = [rows, classes];
  a.unary(UNARY_OPS.ClipByValue, probs, buf.clipped, EPSILON, 1);
  a.unary(UNARY_OPS.Log, buf.clipped, buf.logs, 0, 0);
  a.binary(BINARY_OPS.Multiply, targets, shape, buf.logs, shape, buf.products, shape);
  buf.rowSums.fill(0);
  a.reduce(SUM, buf.products, buf.rowSums, rows, classes, 1);
  buf.mean.fill(0);
  a.reduce(MEAN, buf.rowSums, buf.mean, 1, rows, 1);
  a.unary(UNARY_OPS.Neg, buf.mean, buf.loss, 0, 0);
  return buf.loss[0]!;
}

/** The loss's gradient with respect to the softmax's input, into `buf.logitsGrad`. */
export function crossEntropyBackward(buf: LossBuffers, probs: Float32Array, targets: Float32Array, rows: number, classes: number): Float32Array {
  const a = addon();
  const shape = [rows, classes];
  const column = [rows, 1];
  const [sumGrad, mulGrad, logGrad, clipGrad, dyTimesY, dyTimesYSums, scaled] = buf.g as [Float32Array, Float32Array,
    Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  a.unary(UNARY_OPS.Neg, buf.seed, buf.negGrad, 0, 0);
  a.binary(BINARY_OPS.RealDiv, buf.negGrad, [1], buf.divisor, [1], buf.meanGrad, [rows]);
  a.binary(BINARY_OPS.Multiply, buf.meanGrad, column, buf.ones, shape, sumGrad, shape);
  a.binary(BINARY_OPS.Multiply, sumGrad, shape, targets, shape, mulGrad, shape);
  a.binary(BINARY_OPS.RealDiv, mulGrad, shape, buf.clipped, shape, logGrad, shape);
  a.maskGrad(CLIP_GRAD, logGrad, probs, clipGrad, EPSILON, 1);
  // tfjs-core's Softmax gradient: dy·y − sum(dy·y, -1, keepDims)·y
  a.binary(BINARY_OPS.Multiply, clipGrad, shape, probs, shape, dyTimesY, shape);
  dyTimesYSums.fill(0);
  a.reduce(SUM, dyTimesY, dyTimesYSums, rows, classes, 1);
  a.binary(BINARY_OPS.Multiply, dyTimesYSums, column, probs, shape, scaled, shape);
  a.binary(BINARY_OPS.Sub, dyTimesY, shape, scaled, shape, buf.logitsGrad, shape);
  return buf.logitsGrad;
}
