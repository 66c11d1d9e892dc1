import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Conv/pool geometry as the addon takes it (NHWC, filters [fh, fw, inC, outC]). */
export type ConvParams = [
  batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, outC: number,
  fh: number, fw: number, sh: number, sw: number, dh: number, dw: number, padTop: number,
  padLeft: number,
];

/** What a build of the addon compiled in and links against: what, besides the code, can change its numbers. */
export interface NativeBuildInfo {
  /** `openblas <version>` (of the library actually loaded) or `portable` (the C GEMM in gemm.c). */
  blas: string;
  /** OpenBLAS's kernel set in use, e.g. `Haswell` (its results differ per set), or the portable GEMM's micro-kernel (`avx512`, `avx2`, `generic`). */
  blasCore: string;
  /** The small-channel convolution kernels in use: `direct-avx512` (CPUs with AVX-512) or `im2col` (GEMM over im2col; results differ in the last bits). */
  convCore: string;
  /** The numeric-affecting compile flags in effect, e.g. `-m64 -O3 -fno-math-errno -ffp-contract=off`. */
  flags: string;
  /** e.g. `gcc 12.2.0`. */
  compiler: string;
  /** The C library providing exp/log/tanh, e.g. `glibc 2.36`. */
  libc: string;
}

/**
 * The compiled addon (native/*.c). Every call is synchronous and copy-free, and throws an Error
 * (code `ERR_CONDENSE_NATIVE`, message `<function>: <argument> ...`) for a bad argument or when a
 * kernel cannot allocate its work buffer.
 */
export interface NativeAddon {
  info(): { version: string; blas: string };
  buildInfo(): NativeBuildInfo;
  /** Test hook: how many kernel calls have run on more than one thread so far. */
  _poolJobs(): number;
  /** Test hook: the n-th kernel allocation from now fails, once (0 disables). */
  _failAllocation(n: number): void;
  /** Raw row-major `C = alpha op(A) op(B) + beta C` (cblas_sgemm semantics). */
  sgemm(transA: number, transB: number, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array,
    ldc: number): void;
  /** The portable GEMM (native/gemm_portable.c) with sgemm's arguments; compiled into every build. */
  sgemmPortable(transA: number, transB: number, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array,
    ldc: number): void;
  batchMatMul(a: Float32Array, b: Float32Array, out: Float32Array, batchA: number,
    batchB: number, batch: number, M: number, N: number, K: number, transA: number,
    transB: number): void;
  biasAct(out: Float32Array, rows: number, n: number, bias: Float32Array | null, act: number,
    alpha: number): void;
  binary(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[],
    out: Float32Array, outShape: number[]): void;
  unary(op: number, x: Float32Array, out: Float32Array, p0: number, p1: number): void;
  /** A masking op's gradient into `out`: op 0 `dy * step(x)` (Relu's), 1 `lo <= x <= hi ? dy : 0` (ClipByValue's), 2 `dy * (x * 2)` (Square's). */
  maskGrad(op: number, dy: Float32Array, x: Float32Array, out: Float32Array, lo: number, hi: number): void;
  reduce(op: number, x: Float32Array, out: Float32Array, pre: number, red: number,
    post: number): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** Softmax's gradient over rows of `cols` from its output y: `dx = dy * y - sum(dy * y) * y`. */
  softmaxGrad(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  /** `dst[dstOffset + r * dstRow + j] = src[r * row + j]` for r < rows, j < row (4-byte elements; a concatenation's input). */
  copyRows(src: Float32Array | Int32Array, rows: number, row: number, dst: Float32Array | Int32Array, dstOffset: number, dstRow: number): void;
  /** Layer normalization of `x` [rows, C] over its last axis into `y`, keeping per-row `mean` and `rstd` (1 / sqrt(var + eps)). */
  layerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, y: Float32Array,
    mean: Float32Array, rstd: Float32Array): void;
  /** {@link layerNorm}'s gradient: dx [rows, C], dgamma and dbeta [C]. */
  layerNormGrad(dy: Float32Array, x: Float32Array, mean: Float32Array, rstd: Float32Array, gamma: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
  gather(x: Float32Array | Int32Array, indices: Int32Array, out: Float32Array | Int32Array,
    outer: number, axisDim: number, inner: number): number;
  transpose(x: Float32Array | Int32Array, out: Float32Array | Int32Array, shape: number[],
    perm: number[]): void;
  /** `out` = `x` (shape `shape`) repeated `reps[k]` times along each dim k. */
  tile(x: Float32Array | Int32Array, out: Float32Array | Int32Array, shape: number[], reps: number[]): void;
  /** `out` = `x`[begin : begin + size] along every dim. */
  slice(x: Float32Array | Int32Array, out: Float32Array | Int32Array, shape: number[], begin: number[], size: number[]): void;
  /** TF.js's FusedBatchNorm; every parameter is read cyclically (element i uses index i mod its length). */
  batchNorm(x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null,
    scale: Float32Array | null, varianceEpsilon: number, out: Float32Array): void;
  /**
   * FusedBatchNorm's gradient as tfjs-core composes it, for x [rows, C] (rows = x.length / C) and
   * per-channel mean, variance and scale (null: 1): dx, and dmean, dvariance, dscale, doffset [C].
   */
  batchNormGrad(dy: Float32Array, x: Float32Array, mean: Float32Array, variance: Float32Array,
    scale: Float32Array | null, varianceEpsilon: number, dx: Float32Array, dmean: Float32Array,
    dvariance: Float32Array, dscale: Float32Array, doffset: Float32Array): void;
  /**
   * Batch normalization in training over x [rows, C]: the per-channel mean and biased variance
   * [C] of the rows, and y = (x - mean) * scale / sqrt(variance + varianceEpsilon) + offset
   * (null scale / offset: 1 / 0).
   */
  batchNormTrain(x: Float32Array, C: number, scale: Float32Array | null, offset: Float32Array | null,
    varianceEpsilon: number, y: Float32Array, mean: Float32Array, variance: Float32Array): void;
  /**
   * {@link NativeAddon.batchNormTrain}'s gradient through y, mean and variance (dy, dmean,
   * dvariance) into dx [rows, C], dscale and doffset [C].
   */
  batchNormTrainGrad(dy: Float32Array, x: Float32Array, scale: Float32Array | null, mean: Float32Array,
    variance: Float32Array, dmean: Float32Array, dvariance: Float32Array, varianceEpsilon: number,
    dx: Float32Array, dscale: Float32Array, doffset: Float32Array): void;
  /** out[ids[r], :] += x[r, :] (out is zeroed first); ids outside [0, numSegments) are skipped. */
  segmentSum(x: Float32Array, ids: Int32Array, inner: number, numSegments: number, out: Float32Array): void;
  conv2d(x: Float32Array, w: Float32Array, y: Float32Array, p: ConvParams): void;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, p: ConvParams): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, p: ConvParams): void;
  /** Depthwise variants: filters [fh, fw, inC, mult] and params with outC = inC * mult. */
  depthwiseConv2d(x: Float32Array, w: Float32Array, y: Float32Array, p: ConvParams): void;
  depthwiseConv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, p: ConvParams): void;
  depthwiseConv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, p: ConvParams): void;
  pool(x: Float32Array, y: Float32Array, p: ConvParams, isAvg: number): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, p: ConvParams): void;
  /**
   * One Adam step of a variable into new arrays. `scalars`: beta1, 1 - beta1, beta2, 1 - beta2,
   * 1 - beta1^t, 1 - beta2^t, epsilon, -learningRate (each used as float32). With `mask`, the new
   * weights are multiplied by it (a pruning mask kept fixed), as a separate Multiply would.
   */
  adam(w: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, wOut: Float32Array,
    mOut: Float32Array, vOut: Float32Array, scalars: number[], mask?: Float32Array): void;
  /**
   * Sets OpenBLAS's own thread count and returns the count in effect (1 for the portable GEMM).
   * For benchmarks only: OpenBLAS's results change in the last bits with its thread count, so
   * the backend keeps it at 1 and parallelizes with {@link NativeAddon.threads} instead.
   */
  setBlasThreads(n: number): number;
  /**
   * The kernels' thread count in effect, after setting it to `n` when given (0: the default,
   * `CONDENSE_THREADS` or else the CPUs this process may use). Results are bit-identical
   * whatever the count: work is cut into parts fixed by the problem's shape.
   */
  threads(n?: number): number;
  /** How many row/column panels the parallel GEMM cuts an M x N x K product into (1: one call, one thread). */
  gemmParts(M: number, N: number, K: number): number;
  /**
   * The portable GEMM's micro-kernel in effect (`avx512`, `avx2` or `generic`), after selecting
   * `name` (`auto`: the best this CPU runs). Throws when `name` cannot run here. Tests and benches.
   */
  gemmKernel(name?: string): string;
}

/** Package root: this file lives in src/backend/native or dist/backend/native. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where the addon is loaded from (`CONDENSE_NATIVE_ADDON` overrides). */
function addonPath(): string {
  return process.env.CONDENSE_NATIVE_ADDON ?? join(PACKAGE_ROOT, 'build', 'Release', 'condense_native.node');
}

/** Where native/build.mjs records the outcome of the last build (`CONDENSE_NATIVE_STATUS` overrides). */
function buildStatusPath(): string {
  return process.env.CONDENSE_NATIVE_STATUS ?? join(PACKAGE_ROOT, 'build', 'native-status.json');
}

interface BuildStatus {
  ok?: boolean;
  reason?: string;
  blas?: string;
}

function readBuildStatus(): BuildStatus | undefined {
  try {
    return JSON.parse(readFileSync(buildStatusPath(), 'utf8')) as BuildStatus;
  } catch {
    return undefined;
  }
}

const loaded = new Map<string, NativeAddon>();

/**
 * Loads the addon (once per path); throws an Error saying why it is unavailable — the reason
 * recorded by native/build.mjs when the build failed.
 */
export function loadAddon(): NativeAddon {
  const path = addonPath();
  const hit = loaded.get(path);
  if (hit) return hit;
  if (!existsSync(path)) {
    const status = readBuildStatus();
    const why = status?.ok === false && status.reason
      ? status.reason
      : 'it was not built (run `node native/build.mjs`; needs a C compiler, python3 and make)';
    throw new Error(`native addon missing at ${path}: ${why}`);
  }
  try {
    const require = createRequire(import.meta.url);
    // a plain copy of the exports, so callers (tests, profilers) may wrap its functions
    const addon = { ...(require(path) as NativeAddon) };
    loaded.set(path, addon);
    return addon;
  } catch (err) {
    throw new Error(`native addon at ${path} failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A short stable identifier of the exact build, which changes whenever its numbers could:
 * e.g. `native 0.5.0; blas=openblas 0.3.21 (Haswell); conv=direct-avx512; flags=-m64 -O3 -ffp-contract=off; cc=gcc 12.2.0; libc=glibc 2.36`.
 */
export function nativeBuildId(addon: Pick<NativeAddon, 'info' | 'buildInfo'>): string {
  const { version } = addon.info();
  const b = addon.buildInfo();
  const blas = b.blasCore ? `${b.blas} (${b.blasCore})` : b.blas;
  return `native ${version}; blas=${blas}; conv=${b.convCore}; flags=${b.flags}; cc=${b.compiler}; libc=${b.libc}`;
}

/** Whether the native backend can load here, which BLAS it uses, its build id and thread count; for `condense doctor`. */
export function nativeBackendStatus(): { available: boolean; reason?: string; blas?: string; build?: string; threads?: number } {
  try {
    const addon = loadAddon();
    return { available: true, blas: addon.info().blas, build: nativeBuildId(addon), threads: addon.threads() };
  } catch (err) {
    return { available: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
