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

/**
 * Registers the training kernels that @tensorflow/tfjs-backend-wasm lacks (filter gradients of
 * convolutions, UnsortedSegmentSum, ...). Idempotent: a kernel the wasm backend already has (its
 * own, or one registered by an earlier call) is left alone.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    if (registered(config.kernelName) === undefined) tf.registerKernel(config);
  }
}
