/**
 * Registers, for the 'wasm' backend, the training kernels that @tensorflow/tfjs-backend-wasm 4.22
 * lacks (convolution filter/input gradients, UnsortedSegmentSum) and faster BatchMatMul, Tile,
 * GatherV2 and Slice. Each kernel lives in its own module under ./wasm/.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './wasm/conv2d-backprop-filter.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './wasm/depthwise-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './wasm/depthwise-backprop-input.js';
import { unsortedSegmentSumConfig } from './wasm/unsorted-segment-sum.js';
import { makeBatchMatMul } from './wasm/batch-matmul.js';
import { makeConv2DBackpropInput } from './wasm/conv2d-backprop-input.js';
import { makeGatherV2, makeSlice, makeSum, makeTile, makeTranspose } from './wasm/copy-kernels.js';
import { registerFastGradients } from './gradients.js';

/** The kernels condense adds to the wasm backend (only registered where the backend has none). */
const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
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

/** Marks the kernel functions condense wrapped, so a second call leaves them alone. */
const WRAPPED = Symbol.for('condense.wasm.wrappedStock');

/** Replaces a stock wasm kernel with `wrap(stock)`, which falls back to the stock one itself. */
function wrapStockKernel(kernelName: string, wrap: (stock: tf.KernelFunc) => tf.KernelFunc): void {
  const stock = registered(kernelName);
  if (stock === undefined || (stock.kernelFunc as unknown as Record<symbol, boolean>)[WRAPPED]) return;
  const kernelFunc = wrap(stock.kernelFunc);
  (kernelFunc as unknown as Record<symbol, boolean>)[WRAPPED] = true;
  tf.unregisterKernel(kernelName, 'wasm');
  // Keep the stock setupFunc: it binds the C function the wrapped kernel calls.
  tf.registerKernel({ ...stock, kernelFunc });
}

/**
 * Registers the training kernels that @tensorflow/tfjs-backend-wasm lacks (filter gradients of
 * convolutions, UnsortedSegmentSum, ...). Idempotent: a kernel the wasm backend already has (its
 * own, or one registered by an earlier call) is left alone.
 *
 * Also, for speed: wraps the stock wasm BatchMatMul so transposed and broadcast products reach
 * XNNPACK's GEMM, runs stride-1 input gradients of convolutions as XNNPACK convolutions, replaces
 * Tile, GatherV2, Slice and Transpose by block copies, sums over leading axes in one pass, and
 * registers condense's
 * gradients (see gradients.ts; loadBackend does that for every backend).
 */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    if (registered(config.kernelName) === undefined) tf.registerKernel(config);
  }
  wrapStockKernel(tf.BatchMatMul, (stock) => makeBatchMatMul(stock) as unknown as tf.KernelFunc);
  wrapStockKernel(tf.Tile, makeTile);
  wrapStockKernel(tf.GatherV2, makeGatherV2);
  wrapStockKernel(tf.Slice, makeSlice);
  wrapStockKernel(tf.Transpose, makeTranspose);
  wrapStockKernel(tf.Sum, makeSum);
  wrapStockKernel(tf.Conv2DBackpropInput, makeConv2DBackpropInput);
  registerFastGradients();
}
