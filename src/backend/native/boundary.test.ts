// The addon's argument checks, called directly: every bad size, leading dimension, stride or
// length must throw an Error naming the argument (never read or write out of bounds), and every
// kernel allocation failure must throw instead of returning with its output unwritten.
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon, type ConvParams, type NativeAddon } from './addon.js';
import { NATIVE_AVAILABLE } from './testing.js';

const f = (n: number) => new Float32Array(n);
const i32 = (...v: number[]) => Int32Array.from(v);

/** The error `call` throws (fails the test when it returns). */
function thrown(call: () => unknown): Error & { code?: string } {
  try {
    call();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the call to throw');
}

// 1 image 4x4x2 -> 2x2x3 with a 3x3 filter: not pointwise, so the im2col buffer is allocated
const conv = (over: Partial<Record<number, number>> = {}): ConvParams => {
  const p: number[] = [1, 4, 4, 2, 2, 2, 3, 3, 3, 1, 1, 1, 1, 0, 0];
  for (const [k, v] of Object.entries(over)) p[Number(k)] = v!;
  return p as ConvParams;
};
const depthwise = (over: Partial<Record<number, number>> = {}) => conv({ 6: 4, ...over }); // mult 2
const pool = (over: Partial<Record<number, number>> = {}) => conv({ 6: 2, ...over });

type Case = [label: string, call: (a: NativeAddon) => unknown, message: string];
const bad: Case[] = [
  ['too few arguments', (a) => (a.sgemm as (...x: unknown[]) => void)(0), 'sgemm: expected 13 arguments, got 1'],
  ['sgemm negative M', (a) => a.sgemm(0, 0, -1, 3, 4, 1, f(8), 4, f(12), 3, 0, f(6), 3), 'sgemm: M must be an integer in [0, 2147483647], got -1'],
  ['sgemm fractional K', (a) => a.sgemm(0, 0, 2, 3, 1.5, 1, f(8), 4, f(12), 3, 0, f(6), 3), 'sgemm: K must be an integer in [0, 2147483647], got 1.5'],
  ['sgemm non-number N', (a) => a.sgemm(0, 0, 2, '3' as unknown as number, 4, 1, f(8), 4, f(12), 3, 0, f(6), 3), 'sgemm: N must be an integer, got a non-number'],
  ['sgemm transA 2', (a) => a.sgemm(2, 0, 2, 3, 4, 1, f(8), 4, f(12), 3, 0, f(6), 3), 'sgemm: transA must be an integer in [0, 1], got 2'],
  ['sgemm lda 0', (a) => a.sgemm(0, 0, 2, 3, 4, 1, f(8), 0, f(12), 3, 0, f(6), 3), 'sgemm: lda must be an integer in [1, 2147483647], got 0'],
  ['sgemm lda < K', (a) => a.sgemm(0, 0, 2, 3, 4, 1, f(8), 3, f(12), 3, 0, f(6), 3), 'sgemm: lda (3) must be >= 4, the row width of A'],
  ['sgemm transposed lda < M', (a) => a.sgemm(1, 0, 2, 3, 4, 1, f(8), 1, f(12), 3, 0, f(6), 3), 'sgemm: lda (1) must be >= 2, the row width of A'],
  ['sgemm ldb < N', (a) => a.sgemm(0, 0, 2, 3, 4, 1, f(8), 4, f(12), 2, 0, f(6), 3), 'sgemm: ldb (2) must be >= 3, the row width of B'],
  ['sgemm ldc < N', (a) => a.sgemm(0, 0, 2, 3, 4, 1, f(8), 4, f(12), 3, 0, f(6), 2), 'sgemm: ldc (2) must be >= N (3)'],
  ['sgemm A short for its lda', (a) => a.sgemm(0, 0, 2, 3, 4, 1, f(8), 5, f(12), 3, 0, f(6), 3), 'sgemm: A has 8 elements, needs 9'],
  ['sgemm C short', (a) => a.sgemm(0, 0, 2, 3, 4, 1, f(8), 4, f(12), 3, 0, f(5), 3), 'sgemm: C has 5 elements, needs 6'],
  ['sgemm A not float32', (a) => a.sgemm(0, 0, 2, 3, 4, 1, new Float64Array(8) as unknown as Float32Array, 4, f(12), 3, 0, f(6), 3), 'sgemm: A must be a Float32Array'],
  ['batchMatMul batchA 0', (a) => a.batchMatMul(f(8), f(12), f(6), 0, 1, 1, 2, 3, 4, 0, 0), 'batchMatMul: batchA must be an integer in [1, 2147483647], got 0'],
  ['batchMatMul negative M', (a) => a.batchMatMul(f(8), f(12), f(6), 1, 1, 1, -2, 3, 4, 0, 0), 'batchMatMul: M must be an integer in [0, 2147483647], got -2'],
  ['batchMatMul out short', (a) => a.batchMatMul(f(16), f(12), f(6), 2, 1, 2, 2, 3, 4, 0, 0), 'batchMatMul: out has 6 elements, needs 12'],
  ['biasAct act out of range', (a) => a.biasAct(f(6), 2, 3, null, 20, 0), 'biasAct: act must be an integer in [0, 19], got 20'],
  ['biasAct bias length', (a) => a.biasAct(f(6), 2, 3, f(2), 0, 0), 'biasAct: bias has 2 elements, needs 1 or n (3)'],
  ['biasAct negative rows', (a) => a.biasAct(f(6), -2, -3, null, 0, 0), 'biasAct: rows must be an integer in [0, 2147483647], got -2'],
  ['binary negative dims', (a) => a.binary(0, f(1), [-1, -1], f(1), [-1, -1], f(1), [-1, -1]), 'binary: aShape[0] must be an integer in [0, 2147483647], got -1'],
  ['binary op out of range', (a) => a.binary(7, f(1), [1], f(1), [1], f(1), [1]), 'binary: op must be an integer in [0, 6], got 7'],
  ['binary not broadcastable', (a) => a.binary(0, f(6), [2, 3], f(8), [2, 4], f(8), [2, 4]), 'binary: aShape[1] (3) must be 1 or outShape[1] (4)'],
  ['binary rank mismatch', (a) => a.binary(0, f(6), [2, 3], f(3), [3], f(6), [2, 3]), 'binary: aShape, bShape and outShape must have the same length (got 2, 1, 2)'],
  ['binary shape rank > 8', (a) => a.binary(0, f(1), Array(9).fill(1), f(1), [1], f(1), [1]), 'binary: aShape must be an array of at most 8 integers'],
  ['unary out short', (a) => a.unary(0, f(3), f(2), 0, 0), 'unary: out has 2 elements, needs 3'],
  ['reduce negative pre and post', (a) => a.reduce(0, f(1), f(1), -1, 1, -1), 'reduce: pre must be an integer in [0, 2147483647], got -1'],
  ['reduce red 0', (a) => a.reduce(0, f(4), f(4), 2, 0, 2), 'reduce: red must be an integer in [1, 2147483647], got 0'],
  ['reduce x short', (a) => a.reduce(0, f(5), f(2), 2, 3, 1), 'reduce: x has 5 elements, needs 6'],
  ['softmax cols 0', (a) => a.softmax(f(4), f(4), 4, 0), 'softmax: cols must be an integer in [1, 2147483647], got 0'],
  ['softmaxGrad dx short', (a) => a.softmaxGrad(f(6), f(6), f(5), 2, 3), 'softmaxGrad: dx has 5 elements, needs 6'],
  ['layerNorm y short', (a) => a.layerNorm(f(6), f(3), f(3), 1e-3, f(5), f(2), f(2)), 'layerNorm: y has 5 elements, needs 6'],
  ['layerNorm beta short', (a) => a.layerNorm(f(6), f(3), f(2), 1e-3, f(6), f(2), f(2)), 'layerNorm: beta has 2 elements, needs 3'],
  ['layerNormGrad dgamma short', (a) => a.layerNormGrad(f(6), f(6), f(2), f(2), f(3), f(6), f(2), f(3)), 'layerNormGrad: dgamma has 2 elements, needs 3'],
  ['copyRows dst short', (a) => a.copyRows(f(4), 2, 2, f(4), 1, 2), 'copyRows: dst has 4 elements, needs 5'],
  ['copyRows row wider than dstRow', (a) => a.copyRows(f(4), 1, 4, f(8), 0, 3), 'copyRows: row (4) must be <= dstRow (3)'],
  ['gather negative inner', (a) => a.gather(f(4), i32(0), f(4), 1, 4, -1), 'gather: inner must be an integer in [0, 2147483647], got -1'],
  ['gather out short', (a) => a.gather(f(6), i32(0, 1, 2), f(5), 1, 3, 2), 'gather: out has 5 elements, needs 6'],
  ['gather float indices', (a) => a.gather(f(4), f(1) as unknown as Int32Array, f(4), 1, 4, 1), 'gather: indices must be an Int32Array'],
  ['transpose negative dim', (a) => a.transpose(f(6), f(6), [-2, -3], [1, 0]), 'transpose: shape[0] must be an integer in [0, 2147483647], got -2'],
  ['transpose repeated perm', (a) => a.transpose(f(6), f(6), [2, 3], [0, 0]), 'transpose: perm must be a permutation of 0..1 (perm[1] is 0)'],
  ['transpose perm too large', (a) => a.transpose(f(6), f(6), [2, 3], [0, 2]), 'transpose: perm must be a permutation of 0..1 (perm[1] is 2)'],
  ['tile negative reps', (a) => a.tile(f(2), f(2), [2], [-1]), 'tile: reps[0] must be an integer in [0, 2147483647], got -1'],
  ['tile out short', (a) => a.tile(f(2), f(5), [2], [3]), 'tile: out has 5 elements, needs 6'],
  ['slice past the end', (a) => a.slice(f(12), f(6), [3, 4], [0, 2], [2, 3]), 'slice: begin[1] + size[1] (5) must be <= shape[1] (4)'],
  ['slice negative begin', (a) => a.slice(f(12), f(6), [3, 4], [-1, 0], [2, 3]), 'slice: begin[0] must be an integer in [0, 2147483647], got -1'],
  ['batchNorm empty mean', (a) => a.batchNorm(f(4), f(0), f(1), null, null, 1e-3, f(4)), 'batchNorm: mean must not be empty'],
  ['batchNorm out short', (a) => a.batchNorm(f(4), f(1), f(1), null, null, 1e-3, f(3)), 'batchNorm: out has 3 elements, needs 4'],
  ['segmentSum negative segments', (a) => a.segmentSum(f(4), i32(0, 1), 2, -1, f(4)), 'segmentSum: numSegments must be an integer in [0, 2147483647], got -1'],
  ['segmentSum x short', (a) => a.segmentSum(f(3), i32(0, 1), 2, 2, f(4)), 'segmentSum: x has 3 elements, needs 4'],
  ['conv2d stride 0', (a) => a.conv2d(f(32), f(54), f(12), conv({ 9: 0 })), 'conv2d: params.sh must be an integer in [1, 2147483647], got 0'],
  ['conv2d dilation 0', (a) => a.conv2d(f(32), f(54), f(12), conv({ 12: 0 })), 'conv2d: params.dw must be an integer in [1, 2147483647], got 0'],
  ['conv2d negative inH', (a) => a.conv2d(f(32), f(54), f(12), conv({ 1: -4 })), 'conv2d: params.inH must be an integer in [0, 2147483647], got -4'],
  ['conv2d 14 params', (a) => a.conv2d(f(32), f(54), f(12), conv().slice(0, 14) as unknown as ConvParams), 'conv2d: params must be an array of 15 integers'],
  ['conv2d filter short', (a) => a.conv2d(f(32), f(53), f(12), conv()), 'conv2d: filter has 53 elements, needs 54'],
  ['conv2dBackpropInput dx short', (a) => a.conv2dBackpropInput(f(12), f(54), f(31), conv()), 'conv2dBackpropInput: dx has 31 elements, needs 32'],
  ['conv2dBackpropFilter stride 0', (a) => a.conv2dBackpropFilter(f(32), f(12), f(54), conv({ 10: 0 })), 'conv2dBackpropFilter: params.sw must be an integer in [1, 2147483647], got 0'],
  ['conv2d im2col overflow', (a) => a.conv2d(f(0), f(0), f(0), conv({ 0: 0, 3: 2147483647, 6: 0, 7: 2147483647, 8: 2147483647 })), 'conv2d: params describe an im2col buffer that overflows 64 bits'],
  ['depthwise outC not a multiple', (a) => a.depthwiseConv2d(f(32), f(45), f(20), depthwise({ 6: 5 })), 'depthwiseConv2d: params.outC (5) must be a positive multiple of params.inC (2)'],
  ['depthwise inC 0', (a) => a.depthwiseConv2d(f(0), f(0), f(0), depthwise({ 3: 0, 6: 0 })), 'depthwiseConv2d: params.outC (0) must be a positive multiple of params.inC (0)'],
  ['depthwiseBackpropInput dilation 0', (a) => a.depthwiseConv2dBackpropInput(f(16), f(36), f(32), depthwise({ 11: 0 })), 'depthwiseConv2dBackpropInput: params.dh must be an integer in [1, 2147483647], got 0'],
  ['depthwiseBackpropFilter dw short', (a) => a.depthwiseConv2dBackpropFilter(f(32), f(16), f(35), depthwise()), 'depthwiseConv2dBackpropFilter: dw has 35 elements, needs 36'],
  ['pool outC < inC', (a) => a.pool(f(32), f(4), pool({ 6: 1 }), 0), 'pool: params.outC (1) must equal params.inC (2)'],
  ['pool stride 0', (a) => a.pool(f(32), f(8), pool({ 9: 0 }), 1), 'pool: params.sh must be an integer in [1, 2147483647], got 0'],
  ['maxPoolGrad outC < inC', (a) => a.maxPoolGrad(f(32), f(4), f(32), pool({ 6: 1 })), 'maxPoolGrad: params.outC (1) must equal params.inC (2)'],
  ['maxPoolGrad dx short', (a) => a.maxPoolGrad(f(32), f(8), f(31), pool()), 'maxPoolGrad: dx has 31 elements, needs 32'],
  ['batchNormGrad empty mean', (a) => a.batchNormGrad(f(4), f(4), f(0), f(0), null, 1e-3, f(4), f(0), f(0), f(0), f(0)), 'batchNormGrad: mean must not be empty'],
  ['batchNormGrad x not per channel', (a) => a.batchNormGrad(f(5), f(5), f(2), f(2), null, 1e-3, f(5), f(2), f(2), f(2), f(2)), 'batchNormGrad: x has 5 elements, not a multiple of mean\'s 2'],
  ['batchNormGrad scale length', (a) => a.batchNormGrad(f(4), f(4), f(2), f(2), f(3), 1e-3, f(4), f(2), f(2), f(2), f(2)), 'batchNormGrad: scale has 3 elements, needs 2'],
  ['batchNormGrad dy short', (a) => a.batchNormGrad(f(3), f(4), f(2), f(2), null, 1e-3, f(4), f(2), f(2), f(2), f(2)), 'batchNormGrad: dy has 3 elements, needs 4'],
  ['batchNormGrad dscale short', (a) => a.batchNormGrad(f(4), f(4), f(2), f(2), null, 1e-3, f(4), f(2), f(2), f(1), f(2)), 'batchNormGrad: dscale has 1 elements, needs 2'],
  ['adam lengths differ', (a) => a.adam(f(4), f(4), f(3), f(4), f(4), f(4), f(4), [0.9, 0.1, 0.999, 0.001, 0.1, 0.001, 1e-7, -0.01]), 'adam: v has 3 elements, w has 4: all seven arrays must have the same length'],
  ['adam 7 scalars', (a) => a.adam(f(4), f(4), f(4), f(4), f(4), f(4), f(4), [0.9, 0.1, 0.999, 0.001, 0.1, 0.001, 1e-7]), 'adam: scalars must be an array of 8 numbers'],
];

// Kernels that allocate a work buffer, with valid arguments.
const allocating: [label: string, call: (a: NativeAddon) => unknown, message: string][] = [
  ['batchNorm per channel', (a) => a.batchNorm(f(4), f(2), f(2), f(2), f(2), 1e-3, f(4)), 'batchNorm: out of memory'],
  ['batchNormGrad', (a) => a.batchNormGrad(f(4), f(4), f(2), f(2), f(2), 1e-3, f(4), f(2), f(2), f(2), f(2)), 'batchNormGrad: out of memory'],
  ['conv2d', (a) => a.conv2d(f(32), f(54), f(12), conv()), 'conv2d: out of memory'],
  ['conv2dBackpropInput', (a) => a.conv2dBackpropInput(f(12), f(54), f(32), conv()), 'conv2dBackpropInput: out of memory'],
  ['conv2dBackpropFilter', (a) => a.conv2dBackpropFilter(f(32), f(12), f(54), conv()), 'conv2dBackpropFilter: out of memory'],
  ['depthwiseConv2dBackpropFilter', (a) => a.depthwiseConv2dBackpropFilter(f(32), f(16), f(36), depthwise()), 'depthwiseConv2dBackpropFilter: out of memory'],
  ['avg pool', (a) => a.pool(f(32), f(8), pool(), 1), 'pool: out of memory'],
];

describe.skipIf(!NATIVE_AVAILABLE && process.env.CI !== 'true')('native addon boundary checks', () => {
  afterEach(() => loadAddon()._failAllocation(0));

  it.each(bad)('%s throws naming the argument', (_label, call, message) => {
    const err = thrown(() => call(loadAddon()));
    expect(err.message).toBe(message);
    expect(err.code).toBe('ERR_CONDENSE_NATIVE');
  });

  it.each(allocating)('%s: a failed allocation throws, and the next call works', (_label, call, message) => {
    const addon = loadAddon();
    addon._failAllocation(1);
    expect(thrown(() => call(addon)).message).toBe(message);
    expect(() => call(addon)).not.toThrow();
  });

  it('valid calls at the limits pass the checks', () => {
    const a = loadAddon();
    const A = Float32Array.from([1, 2, 3, 4, 5, 6, 0]); // 2x3 with lda 3, one spare
    const C = f(4);
    a.sgemm(0, 1, 2, 2, 3, 1, A, 3, A, 3, 0, C, 2); // A A^T
    expect(Array.from(C)).toEqual([14, 32, 32, 77]);
    const strided = f(5); // 2x2 result with ldc 3 spans 3 + 2 elements
    a.sgemm(0, 1, 2, 2, 3, 1, A, 3, A, 3, 0, strided, 3);
    expect(Array.from(strided)).toEqual([14, 32, 0, 32, 77]);
    expect(() => a.sgemm(0, 0, 0, 0, 0, 1, f(0), 1, f(0), 1, 0, f(0), 1)).not.toThrow();
    expect(() => a.conv2d(f(0), f(54), f(0), conv({ 0: 0 }))).not.toThrow();
  });
});
