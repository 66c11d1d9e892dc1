// The portable GEMM (native/gemm_portable.c, gemm_x86.c), every micro-kernel this CPU runs,
// against a naive double-precision reference; and its determinism: the same bits again, whatever
// the alignment of the arrays or the size of the matrix around an element.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { loadAddon } from './index.js';
import { NATIVE_AVAILABLE, randArray, rng } from './testing.js';

type Gemm = (tA: number, tB: number, M: number, N: number, K: number, alpha: number, A: Float32Array, lda: number,
  B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number) => void;

/** C = alpha op(A) op(B) + beta C in float64, and the bound sum |alpha a b| + |beta c| per element. */
function reference(tA: number, tB: number, M: number, N: number, K: number, alpha: number, A: Float32Array, lda: number,
  B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number): { want: Float64Array; scale: Float64Array } {
  const want = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let m = 0;
      for (let k = 0; k < K; k++) {
        const p = (tA ? A[k * lda + i]! : A[i * lda + k]!) * (tB ? B[j * ldb + k]! : B[k * ldb + j]!);
        s += p;
        m += Math.abs(p);
      }
      const c = beta === 0 ? 0 : beta * C[i * ldc + j]!;
      want[i * N + j] = alpha * s + c;
      scale[i * N + j] = Math.abs(alpha) * m + Math.abs(c);
    }
  }
  return { want, scale };
}

const kernels = NATIVE_AVAILABLE
  ? ['avx512', 'avx2', 'generic'].filter((k) => { try { return loadAddon().gemmKernel(k) === k; } catch { return false; } })
  : [];

describe('portable GEMM', () => {
  beforeEach(requireNativeAddon);
  afterAll(() => { if (NATIVE_AVAILABLE) loadAddon().gemmKernel('auto'); });

  it('runs a plain C kernel everywhere and the best one this CPU has by default', () => {
    const addon = loadAddon();
    expect(kernels).toContain('generic');
    expect(addon.gemmKernel('auto')).toBe(kernels[0]);
    expect(() => addon.gemmKernel('sparc')).toThrow(/gemmKernel: kernel "sparc" does not run on this CPU/);
    if (addon.buildInfo().blas === 'portable') expect(addon.buildInfo().blasCore).toBe(kernels[0]);
  });

  it.each(kernels)('%s agrees with a float64 reference: transposes, edges, K blocking, alpha/beta, padding', (kernel) => {
    const addon = loadAddon();
    addon.gemmKernel(kernel);
    const r = rng(99);
    // [M, N, K]: single elements, tile edges, K over a KC block (256), M over an MC block, N over NC (2048)
    const shapes = [[1, 1, 1], [1, 37, 5], [13, 1, 9], [6, 16, 300], [12, 32, 256], [29, 45, 513], [200, 33, 70], [3, 2100, 4], [5, 7, 0],
      [300, 6, 25], [2100, 3, 7], [40, 10, 300]]; // skinny: other tiles, transposed orientation
    for (const [s, [M, N, K]] of shapes.entries()) {
      for (const [tA, tB] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const pad = s % 3; // leading dimensions beyond the row width
        const lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
        const A = randArray(r, (tA ? K : M) * lda), B = randArray(r, (tB ? N : K) * ldb), C = randArray(r, M * ldc);
        const [alpha, beta] = [[1, 0], [0.5, 1], [-2, 0.25]][s % 3]!;
        const { want, scale } = reference(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        addon.sgemmPortable(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        let worst = 0;
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) worst = Math.max(worst, Math.abs(C[i * ldc + j]! - want[i * N + j]!) / (scale[i * N + j]! + 1e-30));
        }
        expect(worst, `${kernel} ${M}x${N}x${K} tA=${tA} tB=${tB}`).toBeLessThan(2e-6 * Math.max(1, Math.sqrt(K)));
      }
    }
  });

  it.each(kernels)('%s is bit-for-bit deterministic: again, at other alignments, inside a larger product', (kernel) => {
    const addon = loadAddon();
    addon.gemmKernel(kernel);
    const r = rng(5);
    const [M, N, K] = [150, 70, 600];
    const A = randArray(r, M * K), B = randArray(r, K * N);
    const run = (gemm: Gemm, a: Float32Array, b: Float32Array) => { const c = new Float32Array(M * N); gemm(0, 0, M, N, K, 1, a, K, b, N, 0, c, N); return c; };
    const first = run(addon.sgemmPortable, A, B);
    expect(run(addon.sgemmPortable, A, B)).toEqual(first);
    // the same values one float past a 64-byte boundary
    const shifted = (x: Float32Array) => { const buf = new Float32Array(x.length + 1); buf.set(x, 1); return buf.subarray(1); };
    expect(Buffer.from(run(addon.sgemmPortable, shifted(A), shifted(B)).buffer).equals(Buffer.from(first.buffer))).toBe(true);
    // a block of rows and columns alone: the same bits as in the whole product, also when the
    // block is skinny enough for other tiles or the transposed orientation
    for (const [i0, m, j0, n] of [[7, 21, 3, 38], [0, 150, 5, 6], [11, 3, 0, 70], [40, 100, 60, 10], [0, 48, 20, 16], [2, 1, 9, 1]]) {
      const sub = new Float32Array(m * n);
      addon.sgemmPortable(0, 0, m, n, K, 1, A.subarray(i0 * K), K, B.subarray(j0), N, 0, sub, n);
      for (let i = 0; i < m; i++) expect(sub.subarray(i * n, (i + 1) * n)).toEqual(first.subarray((i0 + i) * N + j0, (i0 + i) * N + j0 + n));
    }
  });
});
