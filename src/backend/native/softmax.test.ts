import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { registerFastGradients } from '../gradients.js';
import { NATIVE_AVAILABLE, addonCalls, expectSameAsCpu, randArray, rng, setupNative } from './testing.js';

const r = rng(5);
const data = (shape: number[], lo: number, hi: number) => {
  const v = randArray(r, shape.reduce((a, b) => a * b, 1), lo, hi);
  return () => tf.tensor(v, shape);
};

describe('the native Softmax (float32 exp) and its one-kernel gradient', () => {
  beforeAll(async () => {
    if (!NATIVE_AVAILABLE) return;
    await setupNative();
    registerFastGradients();
  });
  beforeEach(requireNativeAddon);

  it('agree with the cpu backend within float32 exp rounding, on the pool too', async () => {
    for (const [shape, range] of [[[5, 10], 10], [[3, 4, 7], 30], [[1, 1], 1], [[64, 129], 80], [[32, 128, 128], 8]] as const) {
      const x = data(shape as unknown as number[], -range, range);
      const dy = data(shape as unknown as number[], -1, 1);
      await expectSameAsCpu(() => tf.softmax(x()), { addonFn: 'softmax', atol: 1e-7, rtol: 1e-6 });
      await expectSameAsCpu(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), dy())))(x()), { addonFn: 'softmaxGrad', atol: 1e-7, rtol: 1e-5 });
    }
  });

  it('follow TF.js on NaN, infinities and extreme logits', async () => {
    const rows = [[NaN, 1, 2], [-Infinity, 0, 1], [1e30, -1e30, 0], [-100, -200, -300], [88, 89, 0]];
    await expectSameAsCpu(() => tf.softmax(tf.tensor(rows)), { addonFn: 'softmax', atol: 1e-7, rtol: 1e-6 });
  });

  it('run one kernel for the gradient instead of Multiply, Sum, Multiply and Sub', async () => {
    await tf.setBackend('native');
    const x = data([4, 6], -3, 3)();
    const before = { grad: addonCalls.softmaxGrad ?? 0, binary: addonCalls.binary ?? 0, reduce: addonCalls.reduce ?? 0 };
    tf.tidy(() => tf.grad((t: tf.Tensor) => tf.softmax(t))(x).dataSync());
    expect((addonCalls.softmaxGrad ?? 0) - before.grad).toBe(1);
    expect((addonCalls.reduce ?? 0) - before.reduce).toBe(0);
    x.dispose();
  });
});
