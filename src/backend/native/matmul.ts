import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { nativeBinary, nativeUnary, BINARY_OPS, UNARY_OPS } from './elementwise.js';
import {
  addon, allFloat32, cpuFallback, f32, nativeKernel, output, sizeOf, type KernelArgs, uninitializedF32,
} from './util.js';

/** Fused activations the addon applies in place, by TF.js name. */
const FUSED_ACTIVATIONS: Record<string, number> = {
  linear: UNARY_OPS.Linear, relu: UNARY_OPS.Relu, relu6: UNARY_OPS.Relu6,
  sigmoid: UNARY_OPS.Sigmoid, elu: UNARY_OPS.Elu, leakyrelu: UNARY_OPS.LeakyRelu,
};

/** Batched float32 matmul over BLAS; undefined when batch shapes need general broadcasting. */
function nativeMatMul(backend: MathBackendCPU, a: TensorInfo, b: TensorInfo,
  transposeA: boolean, transposeB: boolean): TensorInfo | undefined {
  if (!allFloat32(a, b) || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const K = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const Kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const M = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const N = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (K !== Kb) return undefined; // the cpu kernel throws its own error
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
  const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  // BLAS with beta = 0 writes every element when K > 0 (and reads none)
  const out = K > 0 ? uninitializedF32(batch * M * N) : new Float32Array(batch * M * N);
  if (batch > 0 && M * N > 0 && K > 0) {
    addon().batchMatMul(f32(backend, a), f32(backend, b), out, batchA, batchB, batch, M, N, K,
      transposeA ? 1 : 0, transposeB ? 1 : 0);
  }
  return output(backend, [...outer, M, N], out);
}

function batchMatMul(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  return (a && b && nativeMatMul(args.backend, a, b, !!transposeA, !!transposeB))
    || cpuFallback('BatchMatMul', args);
}

/**
 * Adds `bias` and applies `activation` to a fresh float32 result `y` of shape [..., n], in place
 * when the addon can (bias of size n or 1); otherwise through the broadcasting kernels.
 * Returns the final tensor; disposes `y` when it was replaced.
 */
export function applyBiasActivation(backend: MathBackendCPU, y: TensorInfo, bias: TensorInfo | undefined,
  activation: string | undefined, leakyreluAlpha: number | undefined,
  prelu: TensorInfo | undefined): TensorInfo {
  const act = activation ?? 'linear';
  const n = y.shape[y.shape.length - 1] ?? 1;
  const biasSize = bias ? sizeOf(bias.shape) : 0;
  const code = FUSED_ACTIVATIONS[act];
  const simpleBias = !bias || (bias.dtype === 'float32' && (biasSize === n || biasSize === 1)
    && bias.shape.length <= 1);
  if (code !== undefined && simpleBias) {
    const vals = f32(backend, y);
    addon().biasAct(vals, sizeOf(y.shape) / Math.max(n, 1), n, bias ? f32(backend, bias) : null,
      code, leakyreluAlpha ?? 0.2);
    return y;
  }
  let current = y;
  if (bias) {
    const added = nativeBinary(backend, BINARY_OPS.Add, current, bias)
      ?? (cpuFallback('Add', { inputs: { a: current, b: bias }, backend }) as TensorInfo);
    backend.disposeIntermediateTensorInfo(current);
    current = added;
  }
  if (act !== 'linear') {
    let next: TensorInfo | undefined;
    if (act === 'prelu') {
      next = cpuFallback('Prelu', { inputs: { x: current, alpha: prelu }, backend }) as TensorInfo;
    } else if (code !== undefined) {
      next = nativeUnary(backend, code, current, leakyreluAlpha ?? 0.2);
    }
    if (!next) throw new Error(`activation ${act} is not supported by the native backend`);
    backend.disposeIntermediateTensorInfo(current);
    current = next;
  }
  return current;
}

function fusedMatMul(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const { transposeA, transposeB, activation, leakyreluAlpha } = (args.attrs ?? {}) as {
    transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number;
  };
  const y = a && b ? nativeMatMul(args.backend, a, b, !!transposeA, !!transposeB) : undefined;
  if (!y) return cpuFallback('_FusedMatMul', args);
  return applyBiasActivation(args.backend, y, bias, activation, leakyreluAlpha, preluActivationWeights);
}

/** Kernel configs of BatchMatMul and _FusedMatMul over BLAS. */
export function matmulKernels(): KernelConfig[] {
  return [nativeKernel('BatchMatMul', batchMatMul), nativeKernel('_FusedMatMul', fusedMatMul)];
}
