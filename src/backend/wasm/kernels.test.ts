import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { Prng } from '../../util/prng.js';
import { registerWasmTrainingKernels } from '../wasm-kernels.js';

type Inputs = Record<string, { shape: number[]; values: Float32Array | Int32Array; dtype: 'float32' | 'int32' }>;

beforeAll(async () => {
  tf.env().set('PROD', true);
  registerWasmTrainingKernels();
  registerWasmTrainingKernels(); // idempotent
  await tf.setBackend('wasm');
  await tf.ready();
});

function randomInput(prng: Prng, shape: number[]): Inputs[string] {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = prng.next() * 2 - 1;
  return { shape, values, dtype: 'float32' };
}

/** Runs one kernel on a backend; returns its output's shape and values. */
async function run(backend: string, kernel: string, inputs: Inputs, attrs: tf.NamedAttrMap) {
  await tf.setBackend(backend);
  const out = tf.tidy(() => {
    const ts: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.values, v.shape, v.dtype);
    return tf.engine().runKernel(kernel, ts, attrs) as tf.Tensor;
  });
  const result = { shape: out.shape, values: out.dataSync().slice() };
  out.dispose();
  return result;
}

/** Runs a kernel on cpu and wasm and checks they agree to float32 tolerance (and wasm leaks nothing). */
async function agree(kernel: string, inputs: Inputs, attrs: tf.NamedAttrMap, reference?: { shape: number[]; values: ArrayLike<number> }) {
  const want = reference ?? (await run('cpu', kernel, inputs, attrs));
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const got = await run('wasm', kernel, inputs, attrs);
  await run('wasm', kernel, inputs, attrs);
  expect(tf.memory().numTensors).toBe(before);
  expect(got.shape).toEqual(want.shape);
  let scale = 1;
  for (let i = 0; i < want.values.length; i++) scale = Math.max(scale, Math.abs(want.values[i] as number));
  for (let i = 0; i < want.values.length; i++) {
    const diff = Math.abs((got.values[i] as number) - (want.values[i] as number));
    if (diff > 1e-4 * scale) expect.fail(`${kernel}: element ${i}: wasm ${got.values[i]} vs cpu ${want.values[i]}`);
  }
}

function outSize(inSize: number, k: number, s: number, d: number, pad: 'same' | 'valid'): number {
  const eff = (k - 1) * d + 1;
  return pad === 'same' ? Math.ceil(inSize / s) : Math.ceil((inSize - eff + 1) / s);
}

const convCases: Array<[number, number, number, number, number, number, 'same' | 'valid', number]> = [
  // batch, H, W, Cin, Cout-or-multiplier, kernel, pad, stride
  [1, 7, 7, 1, 3, 3, 'same', 1],
  [3, 8, 6, 2, 4, 3, 'valid', 1],
  [1, 9, 9, 3, 2, 5, 'same', 2],
  [3, 10, 7, 4, 1, 2, 'valid', 2],
  [2, 6, 6, 5, 2, 1, 'same', 2],
  [3, 11, 11, 1, 6, 5, 'same', 1],
];

describe('Conv2DBackpropFilter on wasm', () => {
  const prng = new Prng(1);
  it.each(convCases)('n=%i %ix%i cin=%i cout=%i k=%i %s s=%i', async (n, h, w, cin, cout, k, pad, s) => {
    const oh = outSize(h, k, s, 1, pad);
    const ow = outSize(w, k, s, 1, pad);
    const inputs = { x: randomInput(prng, [n, h, w, cin]), dy: randomInput(prng, [n, oh, ow, cout]) };
    await agree('Conv2DBackpropFilter', inputs, { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: [k, k, cin, cout] });
  });

  it('handles explicit padding', async () => {
    const inputs = { x: randomInput(prng, [2, 8, 8, 3]), dy: randomInput(prng, [2, 5, 5, 4]) };
    const pad = [[0, 0], [1, 2], [2, 1], [0, 0]] as unknown as tf.NamedAttrMap[string];
    await agree('Conv2DBackpropFilter', inputs, { strides: 2, pad, dataFormat: 'NHWC', filterShape: [3, 3, 3, 4] });
  });

  it('handles NCHW (checked against cpu on the NHWC transpose: cpu fails on NCHW)', async () => {
    const x = randomInput(prng, [2, 7, 6, 3]);
    const dy = randomInput(prng, [2, 7, 6, 4]);
    const attrs = { strides: 1, pad: 'same', filterShape: [3, 3, 3, 4] };
    const ref = await run('cpu', 'Conv2DBackpropFilter', { x, dy }, { ...attrs, dataFormat: 'NHWC' });
    await tf.setBackend('cpu');
    const nchw = (t: Inputs[string]): Inputs[string] => {
      const shape = [t.shape[0], t.shape[3], t.shape[1], t.shape[2]] as number[];
      const values = tf.tidy(() => tf.transpose(tf.tensor(t.values, t.shape), [0, 3, 1, 2]).dataSync() as Float32Array);
      return { shape, values, dtype: 'float32' };
    };
    await agree('Conv2DBackpropFilter', { x: nchw(x), dy: nchw(dy) }, { ...attrs, dataFormat: 'NCHW' }, ref);
  });
});

/** Inserts zeros into a depthwise filter so that a dilation-1 filter behaves like `d`-dilated `f`. */
function dilateFilter(f: Inputs[string], d: number): Inputs[string] {
  const [kh, kw, c, m] = f.shape as [number, number, number, number];
  const eh = (kh - 1) * d + 1;
  const ew = (kw - 1) * d + 1;
  const values = new Float32Array(eh * ew * c * m);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let q = 0; q < c * m; q++) values[((i * d) * ew + j * d) * c * m + q] = f.values[(i * kw + j) * c * m + q] as number;
  return { shape: [eh, ew, c, m], values, dtype: 'float32' };
}

// The cpu backend's depthwise backprop kernels ignore dilations (in tfjs 4.22), so dilation 2 is
// checked against the cpu result at dilation 1 for the equivalent zero-stuffed filter.
const depthwiseCases = convCases.flatMap(([n, h, w, c, m, k, pad, s]) =>
  s === 1 ? [[n, h, w, c, m, k, pad, s, 1], [n, h, w, c, m, k, pad, s, 2]] : [[n, h, w, c, m, k, pad, s, 1]],
) as Array<[number, number, number, number, number, number, 'same' | 'valid', number, number]>;

describe('Conv2DBackpropInput on wasm (stride 1 as an XNNPACK convolution, else the stock kernel)', () => {
  const prng = new Prng(8);
  it.each(convCases)('n=%i %ix%i cin=%i cout=%i k=%i %s s=%i', async (n, h, w, cin, cout, k, pad, s) => {
    const oh = outSize(h, k, s, 1, pad);
    const ow = outSize(w, k, s, 1, pad);
    const inputs = { dy: randomInput(prng, [n, oh, ow, cout]), filter: randomInput(prng, [k, k, cin, cout]) };
    await agree('Conv2DBackpropInput', inputs, { strides: [s, s], pad, dataFormat: 'NHWC', inputShape: [n, h, w, cin] });
  });

  it('runs a stride-1 gradient as a wasm Conv2D and a strided one on the stock kernel', async () => {
    await tf.setBackend('wasm');
    const conv = tf.getKernel(tf.Conv2D, 'wasm')!;
    let calls = 0;
    tf.unregisterKernel(tf.Conv2D, 'wasm');
    tf.registerKernel({ ...conv, kernelFunc: (a) => { calls++; return conv.kernelFunc(a); } });
    try {
      const grad = (s: number) => tf.tidy(() => tf.grad((x: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, tf.ones([3, 3, 2, 4]) as tf.Tensor4D, s, 'same').sum())(tf.ones([1, 6, 6, 2])).dataSync());
      grad(1);
      expect(calls).toBe(2); // the forward pass and the input gradient
      grad(2);
      expect(calls).toBe(3); // the forward pass only
    } finally {
      tf.unregisterKernel(tf.Conv2D, 'wasm');
      tf.registerKernel(conv);
    }
  });

  it('handles explicit and asymmetric padding, even kernels and LeNet-5\'s shapes', async () => {
    const cases: Array<[number[], number[], number[], unknown]> = [
      // inputShape, filterShape, dyShape, pad
      [[2, 8, 8, 3], [3, 3, 3, 4], [2, 9, 7, 4], [[0, 0], [2, 1], [1, 0], [0, 0]]],
      [[1, 7, 6, 2], [2, 4, 2, 3], [1, 7, 6, 3], 'same'],
      [[4, 14, 14, 6], [5, 5, 6, 16], [4, 10, 10, 16], 'valid'],
    ];
    for (const [inputShape, filterShape, dyShape, pad] of cases) {
      const inputs = { dy: randomInput(prng, dyShape), filter: randomInput(prng, filterShape) };
      await agree('Conv2DBackpropInput', inputs, { strides: 1, pad: pad as tf.NamedAttrMap[string], dataFormat: 'NHWC', inputShape });
    }
  });
});

describe('DepthwiseConv2dNativeBackpropInput on wasm', () => {
  const prng = new Prng(2);
  it.each(depthwiseCases)('n=%i %ix%i c=%i mult=%i k=%i %s s=%i d=%i', async (n, h, w, c, m, k, pad, s, d) => {
    const oh = outSize(h, k, s, d, pad);
    const ow = outSize(w, k, s, d, pad);
    const inputs = { dy: randomInput(prng, [n, oh, ow, c * m]), filter: randomInput(prng, [k, k, c, m]) };
    const attrs = { strides: [s, s], dilations: [d, d], pad, inputShape: [n, h, w, c] };
    const ref = d === 1 ? undefined
      : await run('cpu', 'DepthwiseConv2dNativeBackpropInput', { ...inputs, filter: dilateFilter(inputs.filter, d) }, { ...attrs, dilations: [1, 1] });
    await agree('DepthwiseConv2dNativeBackpropInput', inputs, attrs, ref);
  });
});

describe('DepthwiseConv2dNativeBackpropFilter on wasm', () => {
  const prng = new Prng(3);
  it.each(depthwiseCases)('n=%i %ix%i c=%i mult=%i k=%i %s s=%i d=%i', async (n, h, w, c, m, k, pad, s, d) => {
    const oh = outSize(h, k, s, d, pad);
    const ow = outSize(w, k, s, d, pad);
    const inputs = { x: randomInput(prng, [n, h, w, c]), dy: randomInput(prng, [n, oh, ow, c * m]) };
    const attrs = { strides: [s, s], dilations: [d, d], pad, filterShape: [k, k, c, m] };
    let ref: { shape: number[]; values: ArrayLike<number> } | undefined;
    if (d !== 1) {
      const ek = (k - 1) * d + 1;
      const full = await run('cpu', 'DepthwiseConv2dNativeBackpropFilter', inputs, { ...attrs, dilations: [1, 1], filterShape: [ek, ek, c, m] });
      const values = new Float32Array(k * k * c * m);
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++)
          for (let q = 0; q < c * m; q++) values[(i * k + j) * c * m + q] = full.values[((i * d) * ek + j * d) * c * m + q] as number;
      ref = { shape: [k, k, c, m], values };
    }
    await agree('DepthwiseConv2dNativeBackpropFilter', inputs, attrs, ref);
  });
});

describe('UnsortedSegmentSum on wasm', () => {
  const prng = new Prng(4);
  it.each([
    [[7], [7, 5], 4],
    [[1], [1, 3], 2],
    [[12], [12, 2, 3], 9],
    [[3, 4], [3, 4, 6], 5],
    [[10], [10], 3],
  ])('ids %j x %j segments=%i', async (idShape, xShape, numSegments) => {
    const rows = idShape.reduce((a, b) => a * b, 1);
    const ids = new Int32Array(rows);
    for (let i = 0; i < rows; i++) ids[i] = prng.int(numSegments + 1) - (i % 5 === 4 ? 1 : 0); // some out of range
    const x = randomInput(prng, xShape);
    const inputs: Inputs = { x, segmentIds: { shape: idShape, values: ids, dtype: 'int32' } };
    // The cpu kernel only handles 1-D segment ids; the reference flattens them (and x's leading dims).
    const flat: Inputs = {
      x: { ...x, shape: [rows, ...xShape.slice(idShape.length)] },
      segmentIds: { shape: [rows], values: ids, dtype: 'int32' },
    };
    const ref = await run('cpu', 'UnsortedSegmentSum', flat, { numSegments });
    await agree('UnsortedSegmentSum', inputs, { numSegments }, ref);
  });
});

describe('BatchMatMul (fast wrapper) on wasm', () => {
  const prng = new Prng(5);
  it.each([
    [[5, 7], [7, 3], false, false],
    [[7, 5], [7, 3], true, false],
    [[5, 7], [3, 7], false, true],
    [[7, 5], [3, 7], true, true],
    [[3, 5, 7], [7, 4], false, false],
    [[3, 7, 5], [1, 4, 7], true, true],
    [[1, 5, 7], [3, 7, 4], false, false],
    [[4, 20, 16], [4, 16, 20], false, false],
    [[2, 3, 20, 16], [2, 3, 20, 16], false, true],
    [[2, 3, 16, 20], [2, 3, 16, 20], true, false],
    [[64, 30], [64, 20], true, false],
    [[2, 64, 48], [2, 48, 40], false, false],
    [[3, 48, 64], [3, 40, 48], true, true],
  ])('%j x %j transposeA=%s transposeB=%s', async (aShape, bShape, transposeA, transposeB) => {
    const inputs = { a: randomInput(prng, aShape), b: randomInput(prng, bShape) };
    await agree('BatchMatMul', inputs, { transposeA, transposeB });
  });
});

describe('Tile, GatherV2 and Slice (block copies) on wasm', () => {
  const prng = new Prng(7);
  const ints = (n: number, hi: number) => Int32Array.from({ length: n }, () => prng.int(hi));

  it('replace the stock kernels', () => {
    const marked = (name: string) => (tf.getKernel(name, 'wasm')!.kernelFunc as unknown as Record<symbol, boolean>)[Symbol.for('condense.wasm.wrappedStock')];
    expect(marked(tf.Tile)).toBe(true);
    expect(marked(tf.GatherV2)).toBe(true);
    expect(marked(tf.Slice)).toBe(true);
    expect(marked(tf.Transpose)).toBe(true);
    expect(marked(tf.Sum)).toBe(true);
  });

  it.each([
    [[4, 5], [1, 0]], [[1, 40, 6], [0, 2, 1]], [[2, 3, 4, 5], [3, 1, 0, 2]], [[2, 3, 4], [0, 1, 2]], [[3, 1, 4], [2, 1, 0]], [[2, 0, 3], [2, 0, 1]],
  ])('Transpose x %j perm %j, float32 and int32', async (shape, perm) => {
    const x = randomInput(prng, shape);
    await agree('Transpose', { x }, { perm });
    await agree('Transpose', { x: { shape, values: ints(x.values.length, 100), dtype: 'int32' } }, { perm });
  });

  it.each([
    [[30, 8], [0], false], [[1, 30, 8], [0, 1], true], [[5, 6, 7], [0, 1], false], [[5, 1, 6, 7], [0, 2], false],
    [[5, 6, 7], [1], false], [[5, 6], [1], true], [[5, 6, 7], [0, 2], false], [[4, 3], [0, 1], false],
  ])('Sum x %j axes %j keepDims %s (leading axes in one pass, the rest stock)', async (shape, axis, keepDims) => {
    await agree('Sum', { x: randomInput(prng, shape) }, { axis, keepDims });
  });

  it.each([
    [[3, 4, 5, 6], [0, 1, 2, 0], [3, 2, 3, 6]], [[3, 4, 5, 6], [1, 0, 0, 2], [2, 4, 5, 3]], [[3, 4, 5], [1, 0, 0], [1, 4, 5]],
    [[3, 4, 5], [2, 3, 4], [1, 1, 1]], [[6], [2], [3]], [[2, 3], [0, 1], [2, 0]],
  ])('Slice x %j begin %j size %j, float32 and int32', async (shape, begin, size) => {
    const x = randomInput(prng, shape);
    await agree('Slice', { x }, { begin, size });
    await agree('Slice', { x: { shape, values: ints(x.values.length, 100), dtype: 'int32' } }, { begin, size });
  });

  it.each([
    [[3], [4]], [[1, 1, 5], [3, 4, 1]], [[4, 3, 1], [1, 1, 6]], [[2, 3], [2, 0]], [[2, 1, 3, 2], [2, 3, 1, 2]],
    [[1, 2, 1, 2, 3], [2, 1, 3, 1, 2]], [[3, 2], [1, 1]],
  ])('Tile x %j reps %j, float32 and int32', async (shape, reps) => {
    const x = randomInput(prng, shape);
    await agree('Tile', { x }, { reps });
    await agree('Tile', { x: { shape, values: ints(x.values.length, 100), dtype: 'int32' } }, { reps });
  });

  it.each([
    [[6, 4], [5], 0], [[6, 4], [2, 3], 0], [[3, 7, 2], [4], 1], [[5, 3], [6], 1], [[8], [3], 0],
  ])('GatherV2 x %j indices %j axis %i, float32 and int32', async (shape, idShape, axis) => {
    const x = randomInput(prng, shape);
    const indices = { shape: idShape, values: ints(idShape.reduce((a, b) => a * b, 1), shape[axis]!), dtype: 'int32' as const };
    await agree('GatherV2', { x, indices }, { axis, batchDims: 0 });
    await agree('GatherV2', { x: { shape, values: ints(x.values.length, 50), dtype: 'int32' }, indices }, { axis, batchDims: 0 });
  });

  it('GatherV2 refuses an index out of range', async () => {
    await tf.setBackend('wasm');
    expect(() => tf.gather(tf.ones([3, 2]), tf.tensor([0, 3], [2], 'int32'))).toThrow(/index value 3/);
  });
});
