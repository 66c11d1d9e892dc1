import { createRequire } from 'node:module';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BackendValues, DataId, DataType } from '@tensorflow/tfjs';
import { noteExposed, noteRegistered, release } from './buffer-pool.js';

const require = createRequire(import.meta.url);
// The CommonJS build, i.e. the very module instance @tensorflow/tfjs itself loads.
const cpu = require('@tensorflow/tfjs-backend-cpu') as { MathBackendCPU: typeof MathBackendCPU };

/**
 * The `native` backend: the cpu backend's storage (tensors are plain typed arrays, which the addon
 * reads and writes in place) with the hot kernels replaced by compiled ones. Disposed kernel
 * outputs' arrays are reused for new outputs when nothing else can see them (./buffer-pool.ts).
 */
export class NativeBackend extends cpu.MathBackendCPU {
  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    noteRegistered(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    noteRegistered(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): BackendValues {
    const values = super.readSync(dataId);
    noteExposed(values);
    return values;
  }

  override async read(dataId: DataId): Promise<BackendValues> {
    return this.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const done = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) release(values);
    return done;
  }
}
