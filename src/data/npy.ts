import { dataError, readDataFile } from './files.js';
import type { DatasetDefinition } from './registry.js';
import type { NpyDataSpec } from '../recipe/types.js';
import { loadedFrom } from './registry.js';
import { splitExamples } from './split.js';
import type { DataTask, Examples, FeatureArray, Targets } from './types.js';

/** A NumPy array read from a `.npy` file: its shape and values (uint8 kept as bytes, others as float32). */
export interface NpyArray {
  shape: number[];
  values: FeatureArray;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Element readers by dtype kind and size (little-endian unless the descr says '>'). */
function reader(kind: string, size: number): ((view: DataView, at: number, little: boolean) => number) | undefined {
  const table: Record<string, (v: DataView, at: number, le: boolean) => number> = {
    f2: (v, at, le) => half(v.getUint16(at, le)), f4: (v, at, le) => v.getFloat32(at, le), f8: (v, at, le) => v.getFloat64(at, le),
    i1: (v, at) => v.getInt8(at), i2: (v, at, le) => v.getInt16(at, le), i4: (v, at, le) => v.getInt32(at, le),
    i8: (v, at, le) => Number(v.getBigInt64(at, le)), u1: (v, at) => v.getUint8(at), u2: (v, at, le) => v.getUint16(at, le),
    u4: (v, at, le) => v.getUint32(at, le), u8: (v, at, le) => Number(v.getBigUint64(at, le)), b1: (v, at) => v.getUint8(at),
  };
  return table[`${kind}${size}`];
}

function half(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Parses `.npy` bytes (format versions 1–3, C order, a float, int, uint or bool dtype). */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw dataError(file, undefined, 'not a NumPy .npy file (no \\x93NUMPY magic)', 'save arrays with numpy.save(path, array)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLength > bytes.length) throw dataError(file, undefined, 'truncated .npy file (the header is cut off)');
  const header = Buffer.from(bytes.subarray(start, start + headerLength)).toString('latin1');
  const descr = /'descr'\s*:\s*'([<>|=])([a-zA-Z])(\d+)'/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shapeText) throw dataError(file, undefined, `not a NumPy .npy file (unreadable header ${JSON.stringify(header.slice(0, 80))})`);
  if (/'fortran_order'\s*:\s*True/.test(header)) {
    throw dataError(file, undefined, 'the array is in Fortran order', 'save it in C order: numpy.save(path, numpy.ascontiguousarray(array))');
  }
  const [, order, kind, sizeText] = descr;
  const size = Number(sizeText);
  const read = reader(kind!, size);
  if (!read) throw dataError(file, undefined, `dtype ${order}${kind}${size} is not supported (use a float, int, uint or bool dtype)`);
  const shape = shapeText[1]!.split(',').map((d) => d.trim()).filter(Boolean).map(Number);
  const total = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  if (bytes.length - offset < total * size) {
    throw dataError(file, undefined, `truncated .npy file: ${bytes.length - offset} bytes of data, shape (${shape.join(', ')}) needs ${total * size}`);
  }
  if (kind === 'u' && size === 1) return { shape, values: new Uint8Array(bytes.subarray(offset, offset + total)) };
  const values = new Float32Array(total);
  const little = order !== '>';
  for (let i = 0; i < total; i++) values[i] = read(view, offset + i * size, little);
  return { shape, values };
}

/**
 * Reads an x and a y `.npy` file into examples: y holds class indices 0…K−1, or for
 * `task: regression` the finite numbers to predict (one output unit).
 */
export function loadNpyPair(xFile: string, yFile: string, task: DataTask = 'classification'): Examples {
  const x = parseNpy(readDataFile(xFile, 'the .npy file'), xFile);
  const y = parseNpy(readDataFile(yFile, 'the .npy file'), yFile);
  const count = x.shape[0] ?? 1;
  if (!x.shape.length) throw dataError(xFile, undefined, 'x is a scalar; it needs one row per example');
  if (y.shape.length > 2 || (y.shape.length === 2 && y.shape[1] !== 1) || y.shape[0] !== count) {
    throw dataError(yFile, undefined, `y has shape (${y.shape.join(', ')}), but x (${xFile}) has ${count} examples: y needs shape (${count},)`);
  }
  const bad = x.values instanceof Float32Array ? x.values.findIndex((v) => !Number.isFinite(v)) : -1;
  if (bad >= 0) throw dataError(xFile, undefined, `value ${x.values[bad]} at flat index ${bad} (example ${Math.floor(bad / Math.max(1, x.values.length / count))}) is not a finite number`);
  const { labels, numClasses } = task === 'regression' ? npyTargets(y.values, count, yFile) : npyClasses(y.values, count, yFile);
  const inputShape = x.shape.length > 1 ? x.shape.slice(1) : [1];
  return { x: x.values, y: labels, count, featureSize: inputShape.reduce((a, b) => a * b, 1), inputShape, numClasses };
}

function npyClasses(values: FeatureArray, count: number, yFile: string): { labels: Targets; numClasses: number } {
  const labels = new Int32Array(count);
  let max = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0) throw dataError(yFile, undefined, `label ${v} at index ${i} is not a class index (an integer ≥ 0)`);
    labels[i] = v;
    max = Math.max(max, v);
  }
  return { labels, numClasses: Math.max(2, max + 1) };
}

function npyTargets(values: FeatureArray, count: number, yFile: string): { labels: Targets; numClasses: number } {
  const labels = Float32Array.from(values.subarray(0, count));
  const bad = labels.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw dataError(yFile, undefined, `target ${labels[bad]} at index ${bad} is not a finite number`);
  return { labels, numClasses: 1 };
}

/** Fields of `dataset: npy`, as the schema (built from `properties` below) gives them. */
type NpySpec = NpyDataSpec;

/** `dataset: npy`: NumPy arrays, examples keep x's trailing dimensions as their shape. */
export const npyDataset: DatasetDefinition<NpySpec> = {
  name: 'npy',
  description: 'NumPy `.npy` arrays: x (examples × any shape, a float, int or bool dtype, C order; values used as stored) '
    + 'and y (class indices 0…K−1; numbers for task: regression). Examples keep x\'s trailing dimensions as their shape.',
  properties: {
    x: { type: 'string', minLength: 1, description: 'The .npy file of inputs, first dimension = examples, relative to the recipe.' },
    y: { type: 'string', minLength: 1, description: 'The .npy file of labels (integers 0…K−1; any numbers for task: regression), one per example.' },
    testX: { type: 'string', minLength: 1, description: 'Held-out inputs (.npy) instead of testFraction of x; with testY.' },
    testY: { type: 'string', minLength: 1, description: 'Held-out labels (.npy), with testX.' },
  },
  required: ['x', 'y'],
  extra: { dependencies: { testX: ['testY'], testY: ['testX'] } },
  version: 1,
  load(spec, ctx) {
    const train = loadNpyPair(ctx.resolve(spec.x), ctx.resolve(spec.y), ctx.task);
    let test: Examples | undefined;
    if (spec.testX) {
      test = loadNpyPair(ctx.resolve(spec.testX), ctx.resolve(spec.testY!), ctx.task);
      if (test.inputShape.join() !== train.inputShape.join()) {
        throw dataError(ctx.resolve(spec.testX), undefined, `examples of shape [${test.inputShape.join(', ')}], but x has [${train.inputShape.join(', ')}]`);
      }
      const numClasses = Math.max(train.numClasses, test.numClasses);
      train.numClasses = numClasses;
    }
    return loadedFrom(train, splitExamples(train, test, { seed: ctx.seed, testFraction: spec.testFraction, limit: spec.limit }));
  },
};
