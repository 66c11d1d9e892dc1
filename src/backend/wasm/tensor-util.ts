/**
 * Helpers shared by condense's extra wasm kernels. These kernels are composed from tf ops that run
 * on the wasm backend's own (XNNPACK / C++) kernels; the helpers convert between the TensorInfos a
 * kernelFunc receives and returns and the Tensors that tf ops take.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The arguments every kernelFunc receives, typed for the wasm backend. */
export interface WasmKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs?: tf.NamedAttrMap;
}

/**
 * Returns `info` as a Tensor usable by tf ops. The engine normally hands kernels real Tensors, which
 * are returned unchanged; a bare TensorInfo gets a new Tensor that holds its own reference to the
 * data (so disposing it, e.g. at the end of a tidy, leaves the caller's data alive).
 */
function asTensor<R extends tf.Rank = tf.Rank>(info: tf.TensorInfo, backend: BackendWasm): tf.Tensor<R> {
  if (info instanceof tf.Tensor) return info as tf.Tensor<R>;
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend) as tf.Tensor<R>;
}

/**
 * Hands a Tensor computed inside a kernel back to the engine as the kernel's output: the backend
 * keeps the data (one more reference), the Tensor wrapper is disposed, and the engine wraps the
 * returned TensorInfo in the Tensor the caller sees. No copy is made.
 */
function toOutput(t: tf.Tensor, backend: BackendWasm): tf.TensorInfo {
  const info: tf.TensorInfo = { dataId: t.dataId, shape: t.shape.slice(), dtype: t.dtype };
  backend.incRef(t.dataId);
  t.dispose();
  return info;
}

/**
 * Runs `compute` in a tf.tidy on Tensor views of `inputs` and returns its result as the kernel's
 * output; every intermediate is released.
 */
export function composeKernel(
  args: WasmKernelArgs,
  compute: (inputs: Record<string, tf.Tensor>) => tf.Tensor,
): tf.TensorInfo {
  const { backend } = args;
  const result = tf.tidy(() => {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, info] of Object.entries(args.inputs)) {
      if (info != null) tensors[name] = asTensor(info, backend);
    }
    return compute(tensors);
  });
  return toOutput(result, backend);
}

/** The geometry of one NHWC 2-D convolution (pads are the top/left amounts actually applied). */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

/** Extracts {@link ConvGeometry} from a tf conv info. */
export function geometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    outH: info.outHeight,
    outW: info.outWidth,
    filterH: info.filterHeight,
    filterW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Normalises a dilations attr (number, pair or missing) to a pair. */
export function dilationPair(d: unknown): [number, number] {
  if (d == null) return [1, 1];
  if (typeof d === 'number') return [d, d];
  const arr = d as number[];
  return [arr[0] ?? 1, arr[1] ?? arr[0] ?? 1];
}
