// A MobileNet-style training step at batch 32 on wasm (its depthwise block is [32, 14, 14, 12],
// 3x3, same padding) with the heap nearly full, so that the step has to grow the wasm memory.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { mobileNetStyle } from '../../../test/user-models.js';
import { registerWasmTrainingKernels } from '../wasm-kernels.js';
import { fillWasmHeap, heapBytes } from './testing.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

const BATCH = 32;

const crossEntropy = (model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor) => () =>
  tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;

/** Gradients of the cross-entropy with respect to the model's trainable weights, by name. */
function gradients(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Map<string, Float32Array> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(crossEntropy(model, x, y), vars);
  const out = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(grads)) out.set(name, g.dataSync().slice() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

/**
 * Runs `step` with the wasm heap filled just before each depthwise filter gradient (where a
 * real training run fills it: all activations of the step are alive then); fails unless the
 * step had to grow the heap.
 */
function underHeapPressure<T>(step: () => T): T {
  const kernel = tf.getKernel(tf.DepthwiseConv2dNativeBackpropFilter, 'wasm')!;
  const releases: Array<() => void> = [];
  tf.unregisterKernel(kernel.kernelName, 'wasm');
  tf.registerKernel({ ...kernel, kernelFunc: (args) => (releases.push(fillWasmHeap()), kernel.kernelFunc(args)) });
  const before = heapBytes();
  try {
    const result = step();
    expect(releases.length).toBeGreaterThan(0);
    expect(heapBytes(), 'the step did not grow the filled heap: the test checks nothing').toBeGreaterThan(before);
    return result;
  } finally {
    releases.forEach((release) => release());
    tf.unregisterKernel(kernel.kernelName, 'wasm');
    tf.registerKernel(kernel);
  }
}

describe('MobileNet-style training step on wasm, batch 32, heap nearly full', () => {
  it('gradients match the cpu backend; weights stay finite after an Adam step', async () => {
    const model = mobileNetStyle(1);
    const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 7);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 10), 'int32'), 10);
    tf.dispose(model.apply(x) as tf.Tensor); // builds the weights
    const onWasm = underHeapPressure(() => gradients(model, x, y));
    await tf.setBackend('cpu');
    const onCpu = gradients(model, x, y);
    await tf.setBackend('wasm');
    expect([...onWasm.keys()].sort()).toEqual([...onCpu.keys()].sort());
    for (const [name, want] of onCpu) {
      const got = onWasm.get(name)!;
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-3);
      for (let i = 0; i < want.length; i++) {
        if (!(Math.abs(got[i]! - want[i]!) <= 2e-4 * scale)) expect.fail(`${name}[${i}]: wasm ${got[i]} vs cpu ${want[i]}`);
      }
    }
    const opt = tf.train.adam(0.01);
    underHeapPressure(() => tf.dispose(opt.minimize(crossEntropy(model, x, y), true)!));
    for (const w of model.trainableWeights) {
      expect(w.read().dataSync().every(Number.isFinite), `${w.name} after the step`).toBe(true);
    }
    opt.dispose();
    tf.dispose([x, y]);
  });
});
