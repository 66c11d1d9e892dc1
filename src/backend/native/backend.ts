import { createRequire } from 'node:module';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

const require = createRequire(import.meta.url);
// The CommonJS build, i.e. the very module instance @tensorflow/tfjs itself loads.
const cpu = require('@tensorflow/tfjs-backend-cpu') as { MathBackendCPU: typeof MathBackendCPU };

/**
 * The `native` backend: the cpu backend's storage (tensors are plain typed arrays, which the addon
 * reads and writes in place) with the hot kernels replaced by compiled ones.
 */
export class NativeBackend extends cpu.MathBackendCPU {}
