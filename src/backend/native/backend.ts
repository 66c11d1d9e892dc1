import { createRequire } from 'node:module';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BackendValues, DataId } from '@tensorflow/tfjs';
import { exposeValues, releaseValues } from './pool.js';

const require = createRequire(import.meta.url);
// The CommonJS build, i.e. the very module instance @tensorflow/tfjs itself loads.
const cpu = require('@tensorflow/tfjs-backend-cpu') as { MathBackendCPU: typeof MathBackendCPU };

/**
 * The `native` backend: the cpu backend's storage (tensors are plain typed arrays, which the addon
 * reads and writes in place) with the hot kernels replaced by compiled ones. Disposed kernel
 * outputs are reused (./pool.ts) unless they were read out of the backend.
 */
export class NativeBackend extends cpu.MathBackendCPU {
  override readSync(dataId: DataId): BackendValues {
    exposeValues(this.data.get(dataId)?.values);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const released = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) releaseValues(values);
    return released;
  }
}
