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

// Every initializer is seeded: the gradient comparison must be the same test on every run.
type Forward = (x: tf.Tensor) => tf.Tensor;

function mlp(): Forward {
  const m = tf.sequential();
  m.add(tf.layers.dense({ kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), inputShape: [784], units: 32, activation: 'relu' }));
  m.add(tf.layers.dense({ kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), units: 16, activation: 'relu' }));
  m.add(tf.layers.dense({ kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), units: 10, activation: 'softmax' }));
  return (x) => m.apply(x) as tf.Tensor;
}

function lenet5(): Forward {
  const m = tf.sequential();
  m.add(tf.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }));
  m.add(tf.layers.conv2d({ kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }), filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }), units: 120, activation: 'relu' }));
  m.add(tf.layers.dense({ kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }), units: 84, activation: 'relu' }));
  m.add(tf.layers.dense({ kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }), units: 10, activation: 'softmax' }));
  return (x) => m.apply(x) as tf.Tensor;
}

function separable(): Forward {
  const m = tf.sequential();
  m.add(tf.layers.reshape({ inputShape: [784], targetShape: [28, 28, 1] }));
  m.add(tf.layers.conv2d({ kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }), filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.depthwiseConv2d({ depthwiseInitializer: tf.initializers.glorotUniform({ seed: 10 }), kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.separableConv2d({ depthwiseInitializer: tf.initializers.glorotUniform({ seed: 11 }), pointwiseInitializer: tf.initializers.glorotUniform({ seed: 15 }), filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.depthwiseConv2d({ depthwiseInitializer: tf.initializers.glorotUniform({ seed: 12 }), kernelSize: 3, padding: 'valid', activation: 'relu' }));
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ kernelInitializer: tf.initializers.glorotUniform({ seed: 13 }), units: 10, activation: 'softmax' }));
  return (x) => m.apply(x) as tf.Tensor;
}

/** Embedding + layer norm + one two-head dense self-attention block + mean pooling + dense. */
function textAttention(vocab: number, dim: number, heads: number): Forward {
  const embed = tf.layers.embedding({ inputDim: vocab, outputDim: dim, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 16 }) });
  const norm = tf.layers.layerNormalization({});
  const proj = ['q', 'k', 'v', 'o'].map((n, i) => tf.variable(tf.randomNormal([dim, dim], 0, 0.2, 'float32', 11 + i), true, `att_${n}_${Math.random()}`));
  const pool = tf.layers.globalAveragePooling1d({});
  const head = tf.layers.dense({ kernelInitializer: tf.initializers.glorotUniform({ seed: 14 }), units: 10, activation: 'softmax' });
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

/** Gradients of the loss with respect to every trainable variable, by variable name. */
function gradients(forward: Forward, x: tf.Tensor, labels: tf.Tensor): Map<string, Float32Array> {
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, forward(x)) as tf.Scalar);
  const out = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) out.set(name, g.dataSync() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

const labels = () => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
const images = () => tf.randomUniform([8, 784], 0, 1, 'float32', 7);
const tokens = () => tf.randomUniform([8, 12], 0, 50, 'int32', 3);

const families = [
  ['mlp', mlp, images],
  ['lenet5', lenet5, images],
  ['depthwise-separable', separable, images],
  ['embedding + layer norm + self-attention', () => textAttention(50, 16, 2), tokens],
] as const;

describe('training on wasm', () => {
  it.each(families)('%s: 15 Adam steps run, the loss falls, memory stays flat', (_name, build, input) => {
    expect(tf.getBackend()).toBe('wasm');
    const x = input();
    const y = labels();
    const forward = build();
    train(forward, x, y, 1); // creates weights and optimizer slots
    const opt = tf.train.adam(0.005);
    const step = () => {
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as tf.Scalar, true)!;
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    };
    const first = step();
    const settled = tf.memory().numTensors;
    const losses = [first];
    for (let i = 0; i < 14; i++) losses.push(step());
    expect(tf.memory().numTensors).toBe(settled);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(Math.min(...losses.slice(-3))).toBeLessThan(first);
    opt.dispose();
    tf.dispose([x, y]);
  });

  it.each(families)('%s: gradients on wasm match the cpu backend', async (_name, build, input) => {
    const x = input();
    const y = labels();
    const forward = build();
    tf.dispose(forward(x)); // builds lazily created layer weights
    const onWasm = gradients(forward, x, y);
    await tf.setBackend('cpu');
    try {
      const onCpu = gradients(forward, x, y);
      expect([...onWasm.keys()].sort()).toEqual([...onCpu.keys()].sort());
      for (const [name, want] of onCpu) {
        const got = onWasm.get(name)!;
        const scale = Math.max(1e-3, ...Array.from(want, Math.abs));
        for (let i = 0; i < want.length; i++) {
          if (Math.abs(got[i]! - want[i]!) > 2e-4 * scale) expect.fail(`${name}[${i}]: wasm ${got[i]} vs cpu ${want[i]}`);
        }
      }
    } finally {
      tf.dispose([x, y]);
      await tf.setBackend('wasm');
    }
  });
});
