// The convolution gradient kernels on a nearly full wasm heap: allocating inside the kernel grows
// the memory, which detaches any view of it taken before (reads then give undefined, i.e. NaN).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../../util/prng.js';
import { registerWasmTrainingKernels } from '../wasm-kernels.js';
import { fillWasmHeap, freshWasmBackend, heapBytes } from './testing.js';

beforeAll(async () => {
  tf.env().set('PROD', true);
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  await tf.ready();
});

type Shape = [number, number, number, number];
type Case = [label: string, kernel: string, inputs: Record<string, Shape>, attrs: tf.NamedAttrMap];

const prng = new Prng(11);
function random(shape: number[]): Float32Array {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = prng.next() * 2 - 1;
  return values;
}

/** Runs `kernel` on the current backend, the heap filled first when `pressure` is set. */
function runKernel(kernel: string, data: Record<string, [Float32Array, Shape]>, attrs: tf.NamedAttrMap, pressure: boolean) {
  const inputs: Record<string, tf.Tensor> = {};
  for (const [name, [values, shape]] of Object.entries(data)) inputs[name] = tf.tensor(values, shape);
  const release = pressure ? fillWasmHeap() : () => {};
  const before = pressure ? heapBytes() : 0;
  try {
    const out = tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor;
    const grew = pressure && heapBytes() > before;
    const result = { shape: out.shape, values: out.dataSync().slice(), grew };
    out.dispose();
    return result;
  } finally {
    release();
    tf.dispose(Object.values(inputs));
  }
}

const dw = (n: number, h: number, c: number, m: number, k: number, s: number, pad: 'same' | 'valid') => {
  const o = pad === 'same' ? Math.ceil(h / s) : Math.ceil((h - k + 1) / s);
  return { x: [n, h, h, c] as Shape, dy: [n, o, o, c * m] as Shape, filter: [k, k, c, m] as Shape };
};
const conv = (n: number, h: number, cin: number, cout: number, k: number, s: number, pad: 'same' | 'valid') => {
  const o = pad === 'same' ? Math.ceil(h / s) : Math.ceil((h - k + 1) / s);
  return { x: [n, h, h, cin] as Shape, dy: [n, o, o, cout] as Shape, filter: [k, k, cin, cout] as Shape };
};

const depthwiseShapes: Array<[string, ReturnType<typeof dw>, number, 'same' | 'valid']> = [
  ['MobileNet block [32,14,14,12] 3x3 same s1', dw(32, 14, 12, 1, 3, 1, 'same'), 1, 'same'],
  ['[32,14,14,12] 3x3 same s2', dw(32, 14, 12, 1, 3, 2, 'same'), 2, 'same'],
  ['[32,14,14,12] 3x3 valid s1', dw(32, 14, 12, 1, 3, 1, 'valid'), 1, 'valid'],
  ['[32,14,14,12] 3x3 same s1 depthMultiplier 2', dw(32, 14, 12, 2, 3, 1, 'same'), 1, 'same'],
  ['[32,28,28,8] 5x5 valid s2', dw(32, 28, 8, 1, 5, 2, 'valid'), 2, 'valid'],
];
// Small enough that only the filter gradient's im2col buffer is big enough to grow the heap.
const smallDepthwise = dw(2, 8, 3, 1, 3, 1, 'same');
const convShapes: Array<[string, ReturnType<typeof conv>, number, 'same' | 'valid']> = [
  ['[32,14,14,12] -> 12 1x1 s1', conv(32, 14, 12, 12, 1, 1, 'same'), 1, 'same'],
  ['[32,14,14,12] -> 16 3x3 same s1', conv(32, 14, 12, 16, 3, 1, 'same'), 1, 'same'],
  ['[32,28,28,4] -> 12 3x3 same s2', conv(32, 28, 4, 12, 3, 2, 'same'), 2, 'same'],
  ['[32,14,14,12] -> 8 3x3 valid s1', conv(32, 14, 12, 8, 3, 1, 'valid'), 1, 'valid'],
];

const cases: Case[] = [
  ...depthwiseShapes.flatMap(([label, sh, s, pad]): Case[] => [
    [label, 'DepthwiseConv2dNativeBackpropFilter', { x: sh.x, dy: sh.dy }, { strides: [s, s], dilations: [1, 1], pad, filterShape: sh.filter }],
    [label, 'DepthwiseConv2dNativeBackpropInput', { dy: sh.dy, filter: sh.filter }, { strides: [s, s], dilations: [1, 1], pad, inputShape: sh.x }],
  ]),
  ['[2,8,8,3] 3x3 same s1', 'DepthwiseConv2dNativeBackpropFilter', { x: smallDepthwise.x, dy: smallDepthwise.dy },
    { strides: [1, 1], dilations: [1, 1], pad: 'same', filterShape: smallDepthwise.filter }],
  ...convShapes.flatMap(([label, sh, s, pad]): Case[] => [
    [label, 'Conv2DBackpropFilter', { x: sh.x, dy: sh.dy }, { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: sh.filter }],
    [label, 'Conv2DBackpropInput', { dy: sh.dy, filter: sh.filter }, { strides: [s, s], pad, dataFormat: 'NHWC', inputShape: sh.x }],
  ]),
];

describe('convolution gradients on wasm when the kernel grows the heap', () => {
  it.each(cases)('%s: %s matches cpu', async (_label, kernel, shapes, attrs) => {
    const data: Record<string, [Float32Array, Shape]> = {};
    for (const [name, shape] of Object.entries(shapes)) data[name] = [random(shape), shape];
    await tf.setBackend('cpu');
    const want = runKernel(kernel, data, attrs, false);
    await freshWasmBackend();
    const got = runKernel(kernel, data, attrs, true);
    expect(got.grew, 'the filled heap did not have to grow: the test checks nothing').toBe(true);
    expect(got.shape).toEqual(want.shape);
    const scale = (want.values as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    for (let i = 0; i < want.values.length; i++) {
      const diff = Math.abs(got.values[i]! - want.values[i]!);
      if (!(diff <= 1e-4 * scale)) expect.fail(`${kernel}: element ${i}: wasm ${got.values[i]} vs cpu ${want.values[i]}`);
    }
  });
});
