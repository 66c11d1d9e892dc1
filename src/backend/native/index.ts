import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { loadAddon } from './addon.js';
import { NativeBackend } from './backend.js';
import { useNativeBatchNormTraining } from './bn-layer.js';
import { bnTrainGradConfig, bnTrainKernels } from './bn-train.js';
import { convKernels } from './conv.js';
import { depthwiseKernels } from './depthwise.js';
import { elementwiseKernels } from './elementwise.js';
import { layerNormKernels } from './layer-norm.js';
import { maskGradKernels } from './mask-grad.js';
import { matmulKernels } from './matmul.js';
import { normGradKernels } from './norm-grad.js';
import { reduceKernels } from './reduce.js';
import { shapeKernels } from './shape.js';
import { exposeInputs, type KernelArgs } from './util.js';

export { nativeBackendStatus, nativeBuildId, loadAddon, type NativeAddon, type NativeBuildInfo } from './addon.js';
export { NativeBackend } from './backend.js';

/** Name under which the backend is registered. */
const NATIVE_BACKEND = 'native';

/** Every kernel the native backend implements in C (the rest are the cpu backend's). */
function nativeKernelConfigs(): KernelConfig[] {
  return [...matmulKernels(), ...convKernels(), ...depthwiseKernels(), ...elementwiseKernels(), ...reduceKernels(), ...shapeKernels(),
    ...maskGradKernels(), ...normGradKernels(), ...bnTrainKernels(), ...layerNormKernels()];
}

/** cpu kernels that share their input's data by reference count, never its values array (see ./pool.ts). */
const SHARING_BY_REFCOUNT = new Set<string>([tf.Reshape, tf.Identity]);

/** `kernelFunc` (a cpu kernel's), first marking its inputs as not reusable: it may return views of them. */
function exposingInputs(name: string, kernelFunc: KernelFunc): KernelFunc {
  if (SHARING_BY_REFCOUNT.has(name)) return kernelFunc;
  return (args) => {
    exposeInputs(args as unknown as KernelArgs);
    return kernelFunc(args);
  };
}

/**
 * Registers condense's native CPU backend (compiled C kernels over BLAS) under the name `native`.
 * Resolves to the addon's version string; throws with the reason when the addon is not built.
 * Also makes tf.layers.batchNormalization train on the native kernels while native is the
 * current backend (./bn-layer.ts). Idempotent: a second call only reports the version.
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
      tf.registerKernel({ ...k, backendName: NATIVE_BACKEND, kernelFunc: exposingInputs(k.kernelName, k.kernelFunc) });
    }
  }
  tf.registerGradient(bnTrainGradConfig);
  useNativeBatchNormTraining();
  return `${info.version} (${info.blas})`;
}
