/**
 * A faster BatchMatMul for the wasm backend. The stock kernel reaches XNNPACK's fast GEMM only for
 * a single, untransposed product (~20 GFLOP/s here); transposed operands (every dense-layer
 * gradient: dy·Wᵀ and xᵀ·dy) and batched products fall back to a naive loop (~1.5 GFLOP/s). This
 * wrapper transposes operands explicitly with the wasm Transpose kernel, folds a broadcast
 * right-hand side into one 2-D product, and hands the stock kernel only untransposed operands.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { composeKernel, type WasmKernelArgs } from './tensor-util.js';

/** Batched products with at least this many multiply-adds per batch entry are looped on the fast
 * 2-D path (measured: below ~64x64x32 the stock batched loop wins, above it the GEMM loop does). */
const LOOP_MIN_MACS = 100_000;

function swapLast2(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = perm.length;
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(t, perm);
}

/**
 * Wraps the stock wasm BatchMatMul kernel function `stock`; returns the replacement kernel
 * function.
 */
export function makeBatchMatMul(stock: tf.KernelFunc): (args: WasmKernelArgs) => tf.TensorInfo {
  const gemm = (a: tf.Tensor, b: tf.Tensor, backend: BackendWasm): tf.Tensor => {
    const info = stock({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
    return tf.engine().makeTensorFromTensorInfo(info, backend);
  };
  return (args) => {
    const attrs = (args.attrs ?? {}) as unknown as tf.BatchMatMulAttrs;
    const a0 = args.inputs.a as tf.TensorInfo;
    const b0 = args.inputs.b as tf.TensorInfo;
    if (a0.dtype !== 'float32' || b0.dtype !== 'float32' || a0.shape.length < 2 || b0.shape.length < 2) {
      return stock(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    return composeKernel(args, ({ a: ai, b: bi }) => {
      const a = attrs.transposeA ? swapLast2(ai!) : ai!;
      const b = attrs.transposeB ? swapLast2(bi!) : bi!;
      const [m, k] = a.shape.slice(-2) as [number, number];
      const n = b.shape[b.shape.length - 1]!;
      const outerA = a.shape.slice(0, -2);
      const outerB = b.shape.slice(0, -2);
      const batchA = tf.util.sizeFromShape(outerA);
      const batchB = tf.util.sizeFromShape(outerB);
      const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
      const outShape = [...outer, m, n];
      if (batchB === 1) {
        // One product [batchA*m, k] x [k, n]; a broadcast a-side batch is materialised by the reshape.
        const a2 = batchA === tf.util.sizeFromShape(outer) ? tf.reshape(a, [batchA * m, k]) : tf.reshape(tf.broadcastTo(a, [...outer, m, k]), [-1, k]);
        return tf.reshape(gemm(a2, tf.reshape(b, [k, n]), args.backend), outShape);
      }
      if (batchA === batchB && m * k * n >= LOOP_MIN_MACS && batchA <= 64) {
        const a3 = tf.reshape(a, [batchA, m, k]);
        const b3 = tf.reshape(b, [batchB, k, n]);
        const parts: tf.Tensor[] = [];
        for (let i = 0; i < batchA; i++) {
          parts.push(gemm(tf.reshape(tf.slice(a3, [i, 0, 0], [1, m, k]), [m, k]), tf.reshape(tf.slice(b3, [i, 0, 0], [1, k, n]), [k, n]), args.backend));
        }
        return tf.reshape(tf.stack(parts), outShape);
      }
      return tf.reshape(gemm(a, b, args.backend), outShape);
    });
  };
}
