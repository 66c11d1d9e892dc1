import * as tf from '@tensorflow/tfjs';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { registerFastGradients } from '../gradients.js';
import { NATIVE_AVAILABLE, addonCalls, expectSameAsCpu, randArray, rng, setupNative } from './testing.js';

/** Values at and around the masks' edges, NaN and infinities among them, then random ones. */
function edgy(n: number): Float32Array {
  const special = [0, -0, 1e-30, -1e-30, 0.5, -0.5, 1, -1, NaN, Infinity, -Infinity, 1e-7, 1 - 1e-7];
  const out = randArray(rng(13), n, -2, 2);
  special.forEach((v, i) => { out[i] = v; });
  return out;
}

describe('the native Relu and ClipByValue gradients', () => {
  beforeAll(async () => {
    if (!NATIVE_AVAILABLE) return;
    await setupNative();
    registerFastGradients();
  });
  beforeEach(requireNativeAddon);

  it('are bit-identical to tfjs-core\'s compositions on cpu (NaN, ±0, edges; large tensors on the pool)', async () => {
    for (const n of [40, 300_000]) {
      const x = tf.tensor(edgy(n));
      const dy = tf.tensor(randArray(rng(17), n, -3, 3));
      const upstream = (y: tf.Tensor) => tf.mul(y, dy);
      await expectSameAsCpu(() => tf.grad((t: tf.Tensor) => upstream(tf.relu(t)))(x), { addonFn: 'maskGrad', atol: 0, rtol: 0 });
      await expectSameAsCpu(() => tf.grad((t: tf.Tensor) => upstream(tf.clipByValue(t, -0.5, 1)))(x), { addonFn: 'maskGrad', atol: 0, rtol: 0 });
      tf.dispose([x, dy]);
    }
  });

  it('replace tfjs-core\'s kernels on native: one kernel instead of Step/Multiply and the comparisons', async () => {
    await tf.setBackend('native');
    const before = { mask: addonCalls.maskGrad ?? 0, unary: addonCalls.unary ?? 0 };
    const x = tf.tensor(edgy(64));
    tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.relu(t)))(x).dataSync());
    expect((addonCalls.maskGrad ?? 0) - before.mask).toBe(1);
    // the forward Relu is the one unary call: the gradient's Step is gone
    expect((addonCalls.unary ?? 0) - before.unary).toBe(1);
    x.dispose();
  });
});
