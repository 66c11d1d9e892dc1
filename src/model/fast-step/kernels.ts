/**
 * Registered native kernels run outside TF.js's engine: the engine-free step calls the very
 * kernel functions the engine would (so kernel choice stays in src/backend/native), on tensors
 * that wrap the step's arrays without copying, and frees their backend entries once a step is done.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataId, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { exposeValues } from '../../backend/native/pool.js';

type KernelFn = (args: { inputs: Record<string, TensorInfo | undefined>; backend: MathBackendCPU; attrs: NamedAttrMap }) => TensorInfo | TensorInfo[];

const kernels = new Map<string, KernelFn>();

function kernelOf(name: string): KernelFn {
  let fn = kernels.get(name);
  if (!fn) {
    const config = tf.getKernel(name, 'native');
    if (!config) throw new Error(`internal error: the native backend has no ${name} kernel`);
    kernels.set(name, (fn = config.kernelFunc as unknown as KernelFn));
  }
  return fn;
}

/** The tensors of one step: wrapped arrays and kernel outputs, all freed by {@link KernelScope.release}. */
export class KernelScope {
  private readonly dataIds: DataId[] = [];

  constructor(readonly backend: MathBackendCPU) {}

  /** A float32 tensor over `values` (no copy). */
  wrap(values: Float32Array, shape: number[]): TensorInfo {
    const t = this.backend.makeTensorInfo(shape, 'float32', values);
    this.dataIds.push(t.dataId);
    return t;
  }

  /** Runs kernel `name` as `engine.runKernel` would on this backend; the output lives until release. */
  run(name: string, inputs: Record<string, TensorInfo | undefined>, attrs: NamedAttrMap = {}): TensorInfo {
    const out = kernelOf(name)({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`internal error: kernel ${name} returned several tensors`);
    this.dataIds.push(out.dataId);
    return out;
  }

  /** A float32 tensor's backing array (no copy). */
  values(t: TensorInfo): Float32Array {
    return valuesOf(this.backend, t);
  }

  /** Frees every tensor of the step (the arrays stay valid while referenced). */
  release(): void {
    for (const id of this.dataIds) this.backend.disposeData(id);
    this.dataIds.length = 0;
  }
}

/**
 * A dense float32 tensor's backing array (no copy). The step keeps such arrays past the tensor's
 * release, so the native backend must never hand them out again (exposeValues).
 */
export function valuesOf(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId)?.values;
  exposeValues(v);
  if (!(v instanceof Float32Array) || v.length !== tf.util.sizeFromShape(t.shape)) {
    throw new Error('internal error: fast step tensor is not a dense float32 tensor');
  }
  return v;
}
