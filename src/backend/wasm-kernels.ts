/**
 * Registers, for the 'wasm' backend, the training kernels that @tensorflow/tfjs-backend-wasm 4.22
 * lacks (convolution filter/input gradients, UnsortedSegmentSum) and a faster BatchMatMul. Each
 * kernel lives in its own module under ./wasm/.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './wasm/conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './wasm/depthwise-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './wasm/depthwise-backprop-input.js';
import { unsortedSegmentSumConfig } from './wasm/unsorted-segment-sum.js';
import { makeBatchMatMul } from './wasm/batch-matmul.js';
import { tileGradConfig } from './wasm/tile-grad.js';

/** The kernels condense adds to the wasm backend (only registered where the backend has none). */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
];

function registered(kernelName: string): tf.KernelConfig | undefined {
  try {
    return tf.getKernel(kernelName, 'wasm');
  } catch {
    return undefined;
  }
}

/** Marks the BatchMatMul kernel function condense installed, so a second call leaves it alone. */
const FAST_MATMUL = Symbol.for('condense.wasm.fastBatchMatMul');

/** Replaces the stock wasm BatchMatMul with {@link makeBatchMatMul}'s wrapper around it. */
function installFastBatchMatMul(): void {
  const stock = registered(tf.BatchMatMul);
  if (stock === undefined || (stock.kernelFunc as unknown as Record<symbol, boolean>)[FAST_MATMUL]) return;
  const kernelFunc = makeBatchMatMul(stock.kernelFunc) as unknown as tf.KernelFunc;
  (kernelFunc as unknown as Record<symbol, boolean>)[FAST_MATMUL] = true;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  // Keep the stock setupFunc: it binds the C function the wrapped kernel calls.
  tf.registerKernel({ ...stock, kernelFunc });
}

/**
 * Registers the training kernels that @tensorflow/tfjs-backend-wasm lacks (filter gradients of
 * convolutions, UnsortedSegmentSum, ...). Idempotent: a kernel the wasm backend already has (its
 * own, or one registered by an earlier call) is left alone.
 *
 * Also, for speed: wraps the stock wasm BatchMatMul so transposed and broadcast products reach
 * XNNPACK's GEMM, and replaces tfjs-core's looped Tile gradient (global to all backends: gradients
 * are not per backend) with a single reshape-and-sum.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    if (registered(config.kernelName) === undefined) tf.registerKernel(config);
  }
  installFastBatchMatMul();
  if (tf.getGradient(tf.Tile) !== tileGradConfig) tf.registerGradient(tileGradConfig);
}
