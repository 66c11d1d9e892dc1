import * as tf from '@tensorflow/tfjs';
import type { KernelConfig } from '@tensorflow/tfjs';
import { loadAddon } from './addon.js';
import { NativeBackend } from './backend.js';
import { convKernels } from './conv.js';
import { depthwiseKernels } from './depthwise.js';
import { elementwiseKernels } from './elementwise.js';
import { layerNormKernels } from './layer-norm.js';
import { maskGradKernels } from './mask-grad.js';
import { matmulKernels } from './matmul.js';
import { normGradKernels } from './norm-grad.js';
import { reduceKernels } from './reduce.js';
import { shapeKernels } from './shape.js';

export { nativeBackendStatus, nativeBuildId, loadAddon, type NativeAddon, type NativeBuildInfo } from './addon.js';
export { NativeBackend } from './backend.js';

/** Name under which the backend is registered. */
const NATIVE_BACKEND = 'native';

/** Every kernel the native backend implements in C (the rest are the cpu backend's). */
function nativeKernelConfigs(): KernelConfig[] {
  return [...matmulKernels(), ...convKernels(), ...depthwiseKernels(), ...elementwiseKernels(), ...reduceKernels(), ...shapeKernels(),
    ...maskGradKernels(), ...normGradKernels(), ...layerNormKernels()];
}

/**
 * Registers condense's native CPU backend (compiled C kernels over BLAS) under the name `native`.
 * Resolves to the addon's version string; throws with the reason when the addon is not built.
 * Idempotent: a second call only reports the version.
 */
export async function registerNativeBackend(): Promise<string> {
  const addon = loadAddon();
  const info = addon.info();
  if (!tf.findBackendFactory(NATIVE_BACKEND)) {
    // priority 0: below cpu, so merely registering never changes which backend tf.ready() picks
    tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 0);
  }
  const natives = nativeKernelConfigs();
  const overridden = new Set(natives.map((k) => k.kernelName));
  const has = (name: string) => {
    try {
      return tf.getKernel(name, NATIVE_BACKEND) !== undefined;
    } catch {
      return false;
    }
  };
  for (const k of natives) if (!has(k.kernelName)) tf.registerKernel(k);
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (!overridden.has(k.kernelName) && !has(k.kernelName)) {
      tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
    }
  }
  return `${info.version} (${info.blas})`;
}
