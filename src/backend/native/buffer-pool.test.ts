import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon } from '../../../test/helpers.js';
import { NATIVE_AVAILABLE, randArray, rng, setupNative } from './testing.js';

const N = 8 * 1024; // above POOLED_MIN
/** The array the backend stores for `t` (read directly: readSync would mark it as handed out). */
const stored = (t: tf.Tensor) => (tf.backend() as MathBackendCPU).data.get(t.dataId).values as Float32Array;

describe('the native backend reuses disposed outputs\' arrays', () => {
  let a: tf.Tensor;
  let b: tf.Tensor;
  beforeAll(async () => {
    if (!NATIVE_AVAILABLE) return;
    await setupNative();
    await tf.setBackend('native');
    a = tf.tensor(randArray(rng(3), N), [8, 1024]);
    b = tf.tensor(randArray(rng(4), N), [8, 1024]);
  });
  beforeEach(requireNativeAddon);

  it('for the next output of that length, with the new values', () => {
    const first = tf.add(a, b);
    const array = stored(first);
    first.dispose();
    const second = tf.mul(a, b);
    expect(stored(second)).toBe(array);
    const [av, bv] = [a.dataSync(), b.dataSync()];
    const got = second.dataSync();
    for (let i = 0; i < N; i += 997) expect(got[i]).toBe(Math.fround(av[i]! * bv[i]!));
    second.dispose();
  });

  it('never for values read out (dataSync), which the caller keeps', () => {
    const t = tf.add(a, b);
    const values = t.dataSync();
    const copy = Float32Array.from(values);
    t.dispose();
    const other = tf.sub(a, b);
    expect(stored(other)).not.toBe(values);
    expect(values).toEqual(copy);
    other.dispose();
  });

  it('never for an array a view of which another tensor holds (the cpu StridedSlice\'s subarray)', () => {
    const t = tf.add(a, b);
    const rows = tf.stridedSlice(t, [2, 0], [4, 1024]); // contiguous: a subarray of t's array
    const array = stored(t);
    expect(stored(rows).buffer).toBe(array.buffer);
    const expected = Float32Array.from(array.subarray(2 * 1024, 4 * 1024));
    t.dispose();
    const other = tf.mul(a, b);
    expect(stored(other)).not.toBe(array);
    expect(rows.dataSync()).toEqual(expected);
    tf.dispose([other, rows]);
  });

  it('never for an array registered as two tensors', () => {
    const t = tf.add(a, b);
    const backend = tf.backend() as MathBackendCPU;
    const array = stored(t);
    const twin = tf.engine().makeTensorFromTensorInfo(backend.makeTensorInfo(t.shape, 'float32', array));
    t.dispose();
    const other = tf.mul(a, b);
    expect(stored(other)).not.toBe(array);
    tf.dispose([other, twin]);
  });
});
