import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { NATIVE_AVAILABLE, expectSameAsCpu, randArray, rng, setupNative } from './testing.js';

const rand = rng(1234);
const t = (shape: number[], lo = -1, hi = 1) => {
  const data = randArray(rand, shape.reduce((a, b) => a * b, 1), lo, hi);
  return () => tf.tensor(data, shape);
};
const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

describe('native kernels agree with cpu', () => {
  beforeAll(async () => {
    if (NATIVE_AVAILABLE) await setupNative();
  });
  beforeEach(requireNativeAddon);

  it('BatchMatMul: transposes, batches, broadcast batch, random shapes', async () => {
    for (let i = 0; i < 12; i++) {
      const [M, N, K] = [ri(1, 40), ri(1, 40), ri(1, 70)];
      const tA = i % 2 === 1;
      const tB = (i >> 1) % 2 === 1;
      const batch = i < 4 ? [] : i < 8 ? [ri(2, 4)] : [2, 3];
      const bBatch = i === 5 ? [1] : i === 6 ? [] : batch;
      const a = t([...batch, ...(tA ? [K, M] : [M, K])]);
      const b = t([...bBatch, ...(tB ? [N, K] : [K, N])]);
      await expectSameAsCpu(() => tf.matMul(a(), b(), tA, tB), { addonFn: 'batchMatMul', atol: 1e-5 });
    }
    // inputs that are transposed / sliced views in TF.js terms
    const x = t([30, 20]);
    await expectSameAsCpu(() => tf.matMul(tf.transpose(x()), tf.slice(x(), [0, 3], [30, 10])), { addonFn: 'batchMatMul' });
  });

  it('_FusedMatMul: bias shapes and activations, and its gradient', async () => {
    const acts = ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu', 'prelu'] as const;
    for (const [i, activation] of acts.entries()) {
      const [M, N, K] = [ri(1, 30), ri(2, 30), ri(1, 50)];
      const a = t([M, K], -3, 3);
      const b = t([K, N]);
      const bias = i === 2 ? t([1]) : i === 3 ? t([M, N]) : t([N]);
      const alpha = t([N]);
      await expectSameAsCpu(() => tf.fused.matMul({
        a: a(), b: b(), bias: bias(), activation, leakyreluAlpha: 0.3,
        preluActivationWeights: activation === 'prelu' ? alpha() : undefined,
      }), { addonFn: 'batchMatMul' });
    }
    const a = t([7, 5]);
    const b = t([9, 5]);
    const bias = t([9]);
    await expectSameAsCpu(() => tf.grads((x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) =>
      tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: c, transposeB: true, activation: 'relu' }).sum())(
      [a(), b(), bias()]), { addonFn: 'batchMatMul' });
  });

  it('Conv2D / FusedConv2D: strides, same/valid/explicit padding, dilation, pointwise', async () => {
    const cases: [number, number, number, number, number, number, number | [number, number], 'same' | 'valid' | number, number][] = [
      // batch, h, w, cin, cout, f, strides, pad, dilation
      [2, 9, 9, 3, 4, 3, 1, 'same', 1], [1, 10, 7, 2, 5, 3, 2, 'same', 1], [3, 8, 8, 1, 6, 5, 1, 'valid', 1],
      [2, 11, 9, 3, 2, 3, [2, 1], 'valid', 1], [2, 9, 9, 2, 3, 3, 1, 'same', 2], [2, 6, 5, 4, 3, 1, 1, 'valid', 1],
      [1, 7, 7, 2, 2, 3, 1, 1, 1], [2, 28, 28, 1, 6, 5, 1, 'same', 1],
      // filter rows of >= 16 floats (fw * cin): the row im2col layout
      [2, 14, 14, 6, 16, 5, 1, 'valid', 1], [2, 9, 8, 8, 3, 3, [2, 1], 'same', 1], [1, 9, 9, 8, 2, 3, 1, 'same', 2],
    ];
    for (const [B, H, W, ci, co, f, s, pad, d] of cases) {
      const x = t([B, H, W, ci]);
      const w = t([f, f, ci, co]);
      const bias = t([co]);
      await expectSameAsCpu(() => tf.conv2d(x() as tf.Tensor4D, w() as tf.Tensor4D, s, pad, 'NHWC', d), { addonFn: 'conv2d' });
      await expectSameAsCpu(() => tf.fused.conv2d({
        x: x() as tf.Tensor4D, filter: w() as tf.Tensor4D, strides: s, pad, dilations: d, bias: bias(), activation: 'relu',
      }), { addonFn: 'conv2d' });
    }
  });

  it('Conv2DBackpropInput / Conv2DBackpropFilter directly and through gradients', async () => {
    const cases: [number[], number[], number | [number, number], 'same' | 'valid' | number][] = [
      [[2, 9, 9, 3], [3, 3, 3, 4], 1, 'same'], [[1, 10, 7, 2], [3, 3, 2, 5], 2, 'same'],
      [[3, 8, 8, 1], [5, 5, 1, 6], 1, 'valid'], [[2, 11, 9, 3], [3, 2, 3, 2], [2, 1], 'valid'],
      [[2, 6, 5, 4], [1, 1, 4, 3], 1, 'valid'], [[1, 7, 7, 2], [3, 3, 2, 2], 2, 1],
      [[2, 14, 14, 6], [5, 5, 6, 16], 1, 'valid'], [[2, 9, 8, 8], [3, 3, 8, 3], [2, 1], 'same'], [[1, 8, 8, 6], [3, 3, 6, 2], 2, 1],
    ];
    for (const [xs, fs, s, pad] of cases) {
      const info = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number],
        fs as [number, number, number, number], s, 1, pad);
      const x = t(xs);
      const w = t(fs);
      const dy = t(info.outShape);
      await expectSameAsCpu(() => tf.engine().runKernel('Conv2DBackpropInput', { dy: dy(), filter: w() },
        { strides: s, pad, dataFormat: 'NHWC', inputShape: xs }) as tf.Tensor, { addonFn: 'conv2dBackpropInput' });
      await expectSameAsCpu(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: x(), dy: dy() },
        { strides: s, pad, dataFormat: 'NHWC', filterShape: fs }) as tf.Tensor, { addonFn: 'conv2dBackpropFilter', atol: 1e-4 });
      await expectSameAsCpu(() => tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad).mul(dy()).sum())([x(), w()]), { addonFn: 'conv2dBackpropFilter', atol: 1e-4 });
    }
  });

  it('MaxPool / AvgPool / MaxPoolGrad', async () => {
    const cases: [number[], number, number, 'same' | 'valid'][] = [
      [[2, 8, 8, 3], 2, 2, 'valid'], [[1, 7, 9, 2], 3, 2, 'same'], [[2, 5, 5, 1], 3, 1, 'same'], [[1, 6, 6, 4], 2, 1, 'valid'],
    ];
    for (const [xs, f, s, pad] of cases) {
      const x = t(xs);
      await expectSameAsCpu(() => tf.maxPool(x() as tf.Tensor4D, f, s, pad), { addonFn: 'pool' });
      await expectSameAsCpu(() => tf.avgPool(x() as tf.Tensor4D, f, s, pad), { addonFn: 'pool' });
      await expectSameAsCpu(() => tf.grad((a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, f, s, pad).square().sum())(x()), { addonFn: 'maxPoolGrad' });
    }
  });

  it('binary ops with broadcasting', async () => {
    const pairs: [number[], number[]][] = [
      [[3, 4], [3, 4]], [[], [5, 2]], [[5, 2], []], [[3, 1], [1, 4]], [[2, 3, 4], [4]], [[2, 1, 4], [3, 1]],
      [[5, 1, 1, 2], [1, 4, 3, 1]], [[], []], [[128, 300], [300]], [[6, 7], [6, 1]], [[2, 3, 4, 5, 2], [3, 1, 5, 1]],
      // a short row repeated over many rows (a bias): the tiled path, either operand, a last partial block, and past its limit
      [[301, 6], [6]], [[6], [301, 6]], [[9, 11, 7, 5], [5]], [[77, 63], [63]], [[5, 64], [64]], [[40, 1], [40, 3]],
    ];
    const ops = [tf.add, tf.sub, tf.mul, tf.div, tf.maximum, tf.minimum, tf.squaredDifference];
    for (const [sa, sb] of pairs) {
      const a = t(sa);
      const b = t(sb, 0.5, 2);
      for (const op of ops) await expectSameAsCpu(() => op(a(), b()), { addonFn: 'binary', atol: 0, rtol: 0 });
    }
    await expectSameAsCpu(() => tf.maximum(tf.tensor([NaN, 1, 2]), tf.tensor([0, NaN, 3])), { addonFn: 'binary' });
    // int32 goes to the cpu implementation and still agrees
    await expectSameAsCpu(() => tf.add(tf.tensor([1, 2, 3], [3], 'int32'), tf.tensor([4], [1], 'int32')));
  });

  it('unary ops', async () => {
    const x = t([7, 13], -4, 4);
    const pos = t([7, 13], 0.01, 5);
    const ops: [(a: tf.Tensor) => tf.Tensor, boolean][] = [
      [tf.relu, false], [tf.relu6, false], [(a) => tf.step(a, 0.25), false], [tf.exp, false], [tf.log, true],
      [tf.sqrt, true], [tf.rsqrt, true], [tf.sigmoid, false], [tf.tanh, false], [tf.square, false], [tf.neg, false],
      [tf.abs, false], [tf.reciprocal, true], [tf.softplus, false], [tf.elu, false], [(a) => tf.leakyRelu(a, 0.1), false],
      [(a) => tf.clipByValue(a, -1.5, 2), false], [tf.log1p, true], [tf.expm1, false],
    ];
    for (const [op, positive] of ops) {
      await expectSameAsCpu(() => op(positive ? pos() : x()), { addonFn: 'unary', atol: 1e-6, rtol: 1e-6 });
    }
    await expectSameAsCpu(() => tf.relu(tf.tensor([NaN, -1, 1])), { addonFn: 'unary' });
  });

  it('Sum / Max / Min / Mean over any axes, keepDims', async () => {
    const x = t([4, 5, 6, 3], -5, 5);
    const axes: (number | number[] | undefined)[] = [undefined, 0, 3, -1, [1, 2], [0, 2], [0, 1, 3], [2, 0]];
    for (const axis of axes) {
      for (const keep of [false, true]) {
        await expectSameAsCpu(() => [tf.sum(x(), axis, keep), tf.max(x(), axis, keep), tf.min(x(), axis, keep),
          tf.mean(x(), axis, keep)], { addonFn: 'reduce', atol: 1e-5 });
      }
    }
    const big = t([128, 300]);
    await expectSameAsCpu(() => tf.sum(big(), 0), { addonFn: 'reduce', atol: 1e-5 });
    // more columns than one 512-column block, and long rows (the 8-lane row sum and its tail)
    const wide = t([3, 40, 1100]);
    await expectSameAsCpu(() => [tf.sum(wide(), 1), tf.max(wide(), 1), tf.mean(wide(), 1), tf.sum(wide(), -1), tf.mean(wide(), -1)],
      { addonFn: 'reduce', atol: 1e-5 });
  });

  it('reductions over axes separated only by size-1 dims (the Tile gradient\'s shape)', async () => {
    const x = t([3, 1, 4, 1, 5]);
    for (const op of [tf.sum, tf.max, tf.min, tf.mean]) {
      await expectSameAsCpu(() => op(x(), [0, 2]), { addonFn: 'reduce' });
      await expectSameAsCpu(() => op(x(), [1, 3], true), {});
      await expectSameAsCpu(() => op(x(), [0, 4]), { addonFn: 'transpose' });
    }
  });

  it('Softmax', async () => {
    for (const shape of [[5, 10], [3, 4, 7], [1, 1], [64, 10]]) {
      const x = t(shape, -10, 10);
      await expectSameAsCpu(() => tf.softmax(x()), { addonFn: 'softmax', atol: 1e-7 });
    }
  });

  it('GatherV2: axes, index ranks, int32 values, bad index', async () => {
    const x = t([6, 5, 4]);
    const idx = (n: number[], max: number) => {
      const vals = Array.from({ length: n.reduce((a, b) => a * b, 1) }, () => ri(0, max - 1));
      return () => tf.tensor(vals, n, 'int32');
    };
    for (const [axis, n] of [[0, [9]], [1, [3, 2]], [2, [7]], [-1, [2]]] as [number, number[]][]) {
      const i = idx(n, x().shape[axis < 0 ? 2 : axis]!);
      await expectSameAsCpu(() => tf.gather(x(), i(), axis), { addonFn: 'gather', atol: 0, rtol: 0 });
    }
    await expectSameAsCpu(() => tf.gather(tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32'), [1, 0, 1]), { addonFn: 'gather' });
    await tf.setBackend('native');
    expect(() => tf.gather(tf.ones([3, 2]), tf.tensor([0, 3], [2], 'int32'))).toThrow(/index value 3/);
  });

  it('UnsortedSegmentSum (embedding gradients): repeated and out-of-range ids, like cpu', async () => {
    const x = t([7, 3]);
    const ids = () => tf.tensor1d([2, 0, 2, 5, 1, 2, 9], 'int32');
    expect(tf.getKernel('UnsortedSegmentSum', 'native')!.kernelFunc).not.toBe(tf.getKernel('UnsortedSegmentSum', 'cpu')!.kernelFunc);
    // cpu sums each segment in float64; the native kernel adds in float32
    await expectSameAsCpu(() => tf.unsortedSegmentSum(x(), ids(), 6), { addonFn: 'segmentSum', atol: 1e-6 });
    // Through an embedding's gradient, as training reaches it.
    await expectSameAsCpu(() => tf.grad((w: tf.Tensor) => tf.sum(tf.gather(w, tf.tensor([1, 1, 3], [3], 'int32'))))(t([5, 4])()), { atol: 1e-6 });
  });

  it('Tile: any rank, reps of 0 and 1, float32 and int32, bit-exact', async () => {
    const cases: [number[], number[]][] = [[[3], [4]], [[1, 1, 5], [3, 4, 1]], [[4, 3, 1], [1, 1, 6]], [[2, 3], [2, 0]],
      [[2, 1, 3, 2], [2, 3, 1, 2]], [[1, 2, 1, 2, 3], [2, 1, 3, 1, 2]], [[3, 2], [1, 1]]];
    for (const [shape, reps] of cases) {
      const x = t(shape);
      await expectSameAsCpu(() => tf.tile(x(), reps), { atol: 0, rtol: 0 });
      const called = reps.every((r) => r > 0) ? { addonFn: 'tile' as const } : {};
      await expectSameAsCpu(() => tf.tile(x().toInt(), reps), { ...called, atol: 0, rtol: 0 });
    }
  });

  it('FusedBatchNorm: broadcast parameters, without offset or scale, bit-exact; layer norm and its gradient', async () => {
    const x = t([3, 4, 5]);
    const full = t([3, 4, 5], 0.1, 2);
    const perChannel = t([5], 0.1, 2);
    for (const [mean, variance, offset, scale] of [[full, full, full, full], [perChannel, perChannel, perChannel, perChannel],
      [perChannel, perChannel, undefined, perChannel], [full, full, full, undefined]] as const) {
      await expectSameAsCpu(() => tf.batchNorm(x(), mean(), variance(), offset?.(), scale?.(), 1e-3), { addonFn: 'batchNorm', atol: 0, rtol: 0 });
    }
    const norm = tf.layers.layerNormalization({});
    const input = t([4, 6, 8]);
    await expectSameAsCpu(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(norm.apply(v) as tf.Tensor, v)))(input()), { addonFn: 'batchNorm', atol: 1e-5 });
  });

  it('Slice and SplitV (the gradient of concatenate): strided, contiguous, int32, bit-exact', async () => {
    const x = t([3, 4, 5, 6]);
    for (const [begin, size] of [[[0, 1, 2, 0], [3, 2, 3, 6]], [[1, 0, 0, 2], [2, 4, 5, 3]], [[0, 0, 0, 0], [1, 4, 5, 6]], [[2, 3, 4, 5], [1, 1, 1, 1]], [[0, 1, 0, 0], [3, -1, 2, 4]]] as const) {
      await expectSameAsCpu(() => tf.slice(x(), begin as unknown as number[], size as unknown as number[]), { atol: 0, rtol: 0 });
      await expectSameAsCpu(() => tf.slice(x().toInt(), begin as unknown as number[], size as unknown as number[]), { atol: 0, rtol: 0 });
    }
    await expectSameAsCpu(() => tf.slice(x(), [0, 1, 2, 0], [3, 2, 3, 6]), { addonFn: 'slice', atol: 0, rtol: 0 });
    await expectSameAsCpu(() => tf.split(x(), [2, 1, 3], -1), { addonFn: 'slice', atol: 0, rtol: 0 });
    await expectSameAsCpu(() => tf.split(x(), 2, 1), { atol: 0, rtol: 0 });
    const a = t([2, 3, 4]);
    const b = t([2, 3, 2]);
    await expectSameAsCpu(() => tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.concat([p, q], -1))))([a(), b()]), { addonFn: 'slice' });
  });

  it('Concat: any axis, several inputs, empty parts, int32, bit-exact', async () => {
    const a = t([2, 3, 4]);
    const b = t([2, 3, 1]);
    const c = t([2, 3, 2]);
    for (const axis of [-1, 2]) await expectSameAsCpu(() => tf.concat([a(), b(), c()], axis), { atol: 0, rtol: 0 });
    await expectSameAsCpu(() => tf.concat([a(), a(), a()], 0), { atol: 0, rtol: 0 });
    await expectSameAsCpu(() => tf.concat([a(), t([2, 0, 4])(), a()], 1), { atol: 0, rtol: 0 });
    await expectSameAsCpu(() => tf.concat([a().toInt(), c().toInt()], 2), { atol: 0, rtol: 0 });
    expect(tf.getKernel('Concat', 'native')!.kernelFunc).not.toBe(tf.getKernel('Concat', 'cpu')!.kernelFunc);
  });

  it('Transpose: random permutations, float32 and int32', async () => {
    for (let rank = 2; rank <= 5; rank++) {
      const shape = Array.from({ length: rank }, () => ri(1, 5));
      const perm = Array.from({ length: rank }, (_, i) => i).sort(() => rand() - 0.5);
      const x = t(shape);
      await expectSameAsCpu(() => tf.transpose(x(), perm), { addonFn: 'transpose', atol: 0, rtol: 0 });
      await expectSameAsCpu(() => tf.transpose(x().toInt(), perm), { addonFn: 'transpose', atol: 0, rtol: 0 });
    }
  });
});
