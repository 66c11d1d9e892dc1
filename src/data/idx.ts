import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UsageError } from '../errors.js';
import type { DatasetDefinition } from './registry.js';
import { loadedFrom } from './registry.js';
import { splitExamples } from './split.js';
import type { Examples } from './types.js';

/** An IDX array: element type code, dimensions, and its values as numbers. */
export interface IdxArray {
  dims: number[];
  /** Values; unsigned bytes stay in 0..255. */
  values: ArrayLike<number>;
  /** True when the file stored unsigned bytes (pixels to scale by 1/255). */
  ubyte: boolean;
}

const ELEMENT_BYTES: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

/** Parses IDX bytes (the MNIST file format), gunzipping first when they start with the gzip magic. */
export function parseIdx(raw: Uint8Array, file = 'idx'): IdxArray {
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? new Uint8Array(gunzipSync(raw)) : raw;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new UsageError(`${file}: not an IDX file (bad magic number)`);
  }
  const type = bytes[2]!;
  const rank = bytes[3]!;
  const size = ELEMENT_BYTES[type];
  if (!size) throw new UsageError(`${file}: unsupported IDX element type 0x${type.toString(16)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const offset = 4 + 4 * rank;
  const total = dims.reduce((a, b) => a * b, 1);
  if (bytes.length < offset + total * size) {
    throw new UsageError(`${file}: truncated IDX file (${bytes.length} bytes, needs ${offset + total * size})`);
  }
  if (type === 0x08) return { dims, values: bytes.subarray(offset, offset + total), ubyte: true };
  const values = new Float64Array(total);
  for (let i = 0; i < total; i++) values[i] = readElement(view, type, offset + i * size);
  return { dims, values, ubyte: false };
}

function readElement(view: DataView, type: number, at: number): number {
  switch (type) {
    case 0x09: return view.getInt8(at);
    case 0x0b: return view.getInt16(at, false);
    case 0x0c: return view.getInt32(at, false);
    case 0x0d: return view.getFloat32(at, false);
    default: return view.getFloat64(at, false);
  }
}

/** Reads an IDX images file and its labels file into examples (ubyte pixels scaled to [0, 1]). */
export function loadIdxPair(imagesFile: string, labelsFile: string, numClasses?: number): Examples {
  const images = parseIdx(readOrThrow(imagesFile), imagesFile);
  const labels = parseIdx(readOrThrow(labelsFile), labelsFile);
  const count = images.dims[0] ?? 0;
  if (labels.dims.length !== 1 || labels.dims[0] !== count) {
    throw new UsageError(`${labelsFile}: ${labels.dims[0]} labels for ${count} images in ${imagesFile}`);
  }
  const inputShape = images.dims.slice(1);
  const featureSize = inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(count * featureSize);
  const scale = images.ubyte ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i++) x[i] = images.values[i]! * scale;
  const y = Int32Array.from(labels.values as ArrayLike<number>);
  const classes = numClasses ?? Math.max(...y) + 1;
  const bad = y.findIndex((v) => v < 0 || v >= classes || !Number.isInteger(v));
  if (bad >= 0) throw new UsageError(`${labelsFile}: label ${y[bad]} at index ${bad} is outside 0..${classes - 1}`);
  const imageShape: [number, number, number] | undefined = inputShape.length === 2 ? [inputShape[0]!, inputShape[1]!, 1]
    : inputShape.length === 3 ? [inputShape[0]!, inputShape[1]!, inputShape[2]!] : undefined;
  return { x, y, count, featureSize, inputShape: [featureSize], ...(imageShape ? { imageShape } : {}), numClasses: classes };
}

function readOrThrow(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}${code ? ` (${code})` : ''}`, {
      hint: 'IDX paths are relative to the recipe; Fashion-MNIST: apt-get install dataset-fashion-mnist',
    });
  }
}

/** Fields of `dataset: idx`. */
interface IdxSpec {
  images: string;
  labels: string;
  testImages?: string;
  testLabels?: string;
  numClasses?: number;
}

/** `dataset: idx`: IDX image and label files (Fashion-MNIST, ...), flat examples. */
export const idxDataset: DatasetDefinition<IdxSpec> = {
  name: 'idx',
  description: 'Images and labels in IDX files (the MNIST format, gzipped or not), e.g. Fashion-MNIST.',
  properties: {
    images: { type: 'string', description: 'IDX images file, relative to the recipe.' },
    labels: { type: 'string', description: 'IDX labels file, relative to the recipe.' },
    testImages: { type: 'string', description: 'Optional IDX test images; when given, testFraction only sizes the test part of `limit`.' },
    testLabels: { type: 'string', description: 'IDX test labels, with testImages.' },
    numClasses: { type: 'integer', minimum: 2, description: 'Number of classes (default: largest label + 1).' },
  },
  required: ['images', 'labels'],
  extra: { dependencies: { testImages: ['testLabels'], testLabels: ['testImages'] } },
  version: 1,
  load(spec, ctx) {
    const train = loadIdxPair(ctx.resolve(spec.images), ctx.resolve(spec.labels), spec.numClasses);
    const test = spec.testImages
      ? loadIdxPair(ctx.resolve(spec.testImages), ctx.resolve(spec.testLabels!), spec.numClasses ?? train.numClasses)
      : undefined;
    return loadedFrom(train, splitExamples(train, test, { seed: ctx.seed, testFraction: spec.testFraction, limit: spec.limit }));
  },
};
