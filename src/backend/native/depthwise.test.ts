import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { NATIVE_AVAILABLE, expectSameAsCpu, randArray, rng, setupNative } from './testing.js';

const rand = rng(99);
const t = (shape: number[]) => {
  const data = randArray(rand, shape.reduce((a, b) => a * b, 1));
  return () => tf.tensor(data, shape);
};
type Pad = 'same' | 'valid' | number;

describe('native depthwise convolution agrees with cpu', () => {
  beforeAll(async () => {
    if (NATIVE_AVAILABLE) await setupNative();
  });
  beforeEach(requireNativeAddon);

  // [x shape, filter shape [fh, fw, inC, mult], strides, pad, dilation]
  const cases: [number[], number[], number, Pad, number][] = [
    [[2, 9, 9, 3], [3, 3, 3, 1], 1, 'same', 1], [[1, 10, 7, 4], [3, 3, 4, 2], 2, 'same', 1],
    [[2, 8, 8, 2], [5, 5, 2, 3], 1, 'valid', 1], [[2, 9, 9, 2], [3, 3, 2, 1], 1, 'same', 2],
    [[1, 7, 6, 5], [3, 3, 5, 1], 2, 1, 1],
  ];

  it('DepthwiseConv2dNative and FusedDepthwiseConv2D', async () => {
    for (const [xs, fs, s, pad, d] of cases) {
      const x = t(xs);
      const w = t(fs);
      const bias = t([fs[2]! * fs[3]!]);
      await expectSameAsCpu(() => tf.depthwiseConv2d(x() as tf.Tensor4D, w() as tf.Tensor4D, s, pad, 'NHWC', d),
        { addonFn: 'depthwiseConv2d' });
      await expectSameAsCpu(() => tf.fused.depthwiseConv2d({
        x: x() as tf.Tensor4D, filter: w() as tf.Tensor4D, strides: s, pad, dilations: d, bias: bias(), activation: 'relu6',
      }), { addonFn: 'depthwiseConv2d' });
    }
  });

  it('depthwise gradients (input and filter), directly and through tf.grads', async () => {
    for (const [xs, fs, s, pad] of cases) {
      const ci = tf.backend_util.computeConv2DInfo(xs as [number, number, number, number],
        fs as [number, number, number, number], s, 1, pad, undefined, true);
      const x = t(xs);
      const w = t(fs);
      const dy = t(ci.outShape);
      await expectSameAsCpu(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy(), filter: w() },
        { strides: s, pad, dilations: 1, inputShape: xs }) as tf.Tensor, { addonFn: 'depthwiseConv2dBackpropInput' });
      await expectSameAsCpu(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: x(), dy: dy() },
        { strides: s, pad, dilations: 1, filterShape: fs }) as tf.Tensor, { addonFn: 'depthwiseConv2dBackpropFilter' });
      await expectSameAsCpu(() => tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad).mul(dy()).sum())([x(), w()]),
      { addonFn: 'depthwiseConv2dBackpropFilter' });
    }
  });
});
