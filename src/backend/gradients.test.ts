import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../util/prng.js';
import { registerFastGradients } from './gradients.js';
import { loadBackend } from './select.js';

const stockTileGrad = tf.getGradient(tf.Tile);

function random(prng: Prng, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => prng.next() * 2 - 1), shape);
}

/** Kernel calls by name while `fn` runs on the current backend. */
function countKernels(fn: () => void): Map<string, number> {
  const backend = tf.getBackend();
  const counts = new Map<string, number>();
  const configs = tf.getKernelsForBackend(backend);
  for (const cfg of configs) {
    tf.unregisterKernel(cfg.kernelName, backend);
    tf.registerKernel({ ...cfg, kernelFunc: (args) => {
      counts.set(cfg.kernelName, (counts.get(cfg.kernelName) ?? 0) + 1);
      return cfg.kernelFunc(args);
    } });
  }
  try {
    fn();
  } finally {
    for (const cfg of configs) {
      tf.unregisterKernel(cfg.kernelName, backend);
      tf.registerKernel(cfg);
    }
  }
  return counts;
}

describe('Tile gradient (vectorised)', () => {
  beforeAll(async () => {
    tf.env().set('PROD', true);
    registerFastGradients();
    await tf.setBackend('cpu');
  });

  it.each([
    [[3], [4]],
    [[2, 3], [1, 5]],
    [[1, 1, 4], [6, 5, 1]],
    [[2, 3, 1, 2], [2, 1, 3, 2]],
    [[2, 1, 2, 1, 2], [1, 3, 1, 2, 1]],
  ])('x %j reps %j matches tfjs-core', (xShape, reps) => {
    const prng = new Prng(6);
    const dy = random(prng, xShape.map((d, i) => d * reps[i]!));
    const x = random(prng, xShape);
    const mine = tf.getGradient(tf.Tile);
    expect(mine).not.toBe(stockTileGrad);
    const grad = (config: tf.GradConfig) => tf.tidy(() => config.gradFunc(dy, [x], { reps }).x!().dataSync().slice());
    const got = grad(mine);
    if (xShape.length <= 4) {
      const want = grad(stockTileGrad);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 4);
    } else {
      // tfjs-core has no rank-5 Tile gradient; check against a direct sum over the repetitions.
      const total = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0);
      expect(total(got)).toBeCloseTo(total(dy.dataSync()), 3);
    }
    tf.dispose([dy, x]);
  });

  it('is what loadBackend leaves registered, so a layer-norm step is a handful of kernels, not thousands of slices', async () => {
    tf.registerGradient(stockTileGrad);
    await loadBackend('cpu');
    expect(tf.getGradient(tf.Tile)).not.toBe(stockTileGrad);
    const norm = tf.layers.layerNormalization({});
    const x = random(new Prng(2), [4, 16, 8]);
    norm.apply(x); // builds gamma and beta
    const counts = countKernels(() => {
      tf.tidy(() => tf.variableGrads(() => tf.sum(norm.apply(x) as tf.Tensor) as tf.Scalar));
    });
    // tfjs-core's gradient adds one Slice per repetition: 4 × 16 for gamma and again for beta
    expect(counts.get('Slice') ?? 0).toBeLessThan(8);
    x.dispose();
  });
});
