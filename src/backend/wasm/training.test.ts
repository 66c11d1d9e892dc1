import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../wasm-kernels.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

type Forward = (x: tf.Tensor) => tf.Tensor;

function mlp(): Forward {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [784], units: 32, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 16, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return (x) => m.apply(x) as tf.Tensor;
}

function lenet5(): Forward {
  const m = tf.sequential();
  m.add(tf.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }));
  m.add(tf.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 120, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 84, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return (x) => m.apply(x) as tf.Tensor;
}

function separable(): Forward {
  const m = tf.sequential();
  m.add(tf.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }));
  m.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.separableConv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'valid', activation: 'relu' }));
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return (x) => m.apply(x) as tf.Tensor;
}

/** Embedding + layer norm + one two-head dense self-attention block + mean pooling + dense. */
function textAttention(vocab: number, dim: number, heads: number): Forward {
  const embed = tf.layers.embedding({ inputDim: vocab, outputDim: dim });
  const norm = tf.layers.layerNormalization({});
  const proj = ['q', 'k', 'v', 'o'].map((n) => tf.variable(tf.randomNormal([dim, dim], 0, 0.2), true, `att_${n}_${Math.random()}`));
  const pool = tf.layers.globalAveragePooling1d({});
  const head = tf.layers.dense({ units: 10, activation: 'softmax' });
  const dh = dim / heads;
  return (ids) => {
    const h = norm.apply(embed.apply(ids)) as tf.Tensor3D;
    const [b, len] = h.shape;
    const flat = tf.reshape(h, [b * len, dim]);
    const split = (w: tf.Variable) => tf.transpose(tf.reshape(tf.matMul(flat, w), [b, len, heads, dh]), [0, 2, 1, 3]);
    const [q, k, v] = [split(proj[0]!), split(proj[1]!), split(proj[2]!)];
    const att = tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)));
    const mixed = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [b * len, dim]);
    const out = tf.add(h, tf.reshape(tf.matMul(mixed, proj[3]!), [b, len, dim]));
    return head.apply(pool.apply(out)) as tf.Tensor;
  };
}

/** Trains `steps` Adam steps on a fixed random batch; returns the losses. */
function train(forward: Forward, x: tf.Tensor, labels: tf.Tensor, steps: number): number[] {
  const opt = tf.train.adam(0.01);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward(x)) as tf.Scalar, true);
    losses.push(loss!.dataSync()[0]!);
    loss!.dispose();
  }
  opt.dispose();
  return losses;
}

describe('training on wasm', () => {
  const labels = () => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
  const images = () => tf.randomUniform([8, 784], 0, 1, 'float32', 7);

  it.each([
    ['mlp', mlp],
    ['lenet5', lenet5],
    ['depthwise-separable', separable],
  ] as const)('%s trains with Adam and its loss falls', (_name, build) => {
    expect(tf.getBackend()).toBe('wasm');
    const x = images();
    const y = labels();
    const losses = train(build(), x, y, 6);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    // Weights and optimizer slots stay; nothing else per step: a 7th and 8th step add nothing.
    const forward = build();
    train(forward, x, y, 1);
    const mid = tf.memory().numTensors;
    train(forward, x, y, 2);
    expect(tf.memory().numTensors).toBe(mid);
    tf.dispose([x, y]);
  });

  it('embedding + layer norm + self-attention text model trains with Adam', () => {
    const ids = tf.randomUniform([8, 12], 0, 50, 'int32', 3);
    const y = labels();
    const forward = textAttention(50, 16, 2);
    const losses = train(forward, ids, y, 6);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    tf.dispose([ids, y]);
  });
});
