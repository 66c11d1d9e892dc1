import { readdirSync, statSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import { join, sep } from 'node:path';
import { SmallFileReader, dataError, readDataFile, requireDirectory } from './files.js';
import { IMAGE_EXTENSIONS, decodeImage, resizeBilinear, toChannels } from './image-decode.js';
import type { DecodedImage } from './image-decode.js';
import type { DatasetDefinition, LoadedData } from './registry.js';
import { fileSplitRows, splitRows } from './split.js';
import type { Split } from './types.js';

/** Fields of `dataset: images`. */
export interface ImagesSpec {
  path: string;
  testPath?: string;
  size?: [number, number];
  channels?: 1 | 3;
}

/** The images of a class-folder tree, in order: classes sorted, files sorted within a class. */
export interface ImageTree {
  files: string[];
  labels: Int32Array;
  classes: string[];
}

/** Height, width and channels every example is stored at. */
interface Geometry {
  height: number;
  width: number;
  channels: number;
  /** What fixed each, for messages: the first image, or the recipe. */
  sizeFrom?: string;
  channelsFrom?: string;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const hidden = (name: string) => name.startsWith('.');

/**
 * Lists `root/<class>/<image>`: class folders are the subfolders (sorted), images the PNG and
 * JPEG files in them. Hidden entries (`.DS_Store`, `._x.png`) and other files are skipped. With
 * `classes` (the training set's), a folder not among them is an error.
 */
export function listImageTree(root: string, what: string, classes?: string[]): ImageTree {
  requireDirectory(root, what);
  const folders = readdirSync(root, { withFileTypes: true }).filter((e) => !hidden(e.name) && isDirectory(root, e)).map((e) => e.name).sort(byCodeUnit);
  if (!folders.length) throw dataError(root, undefined, `no class folders in ${what} (expected ${what}/<class>/<image>.png)`);
  const names = classes ?? folders;
  const files: string[] = [];
  const labels: number[] = [];
  for (const folder of folders) {
    const label = names.indexOf(folder);
    if (label < 0) throw dataError(join(root, folder), undefined, `class "${folder}" is not a class of the training images (${names.join(', ')})`);
    // Names only (no Dirent per file): with tens of thousands of images the listing's garbage
    // alone would be a large part of the memory the images take.
    const dir = join(root, folder);
    const images = readdirSync(dir).filter(isImageName).sort(byCodeUnit);
    if (!images.length) throw dataError(dir, undefined, 'class folder without PNG or JPEG images', 'remove the folder, or add its images');
    for (const image of images) {
      files.push(`${dir}${sep}${image}`);
      labels.push(label);
    }
  }
  return { files, labels: Int32Array.from(labels), classes: names };
}

/** Whether a folder entry is a folder (following a symbolic link, which a plain Dirent does not). */
function isImageName(name: string): boolean {
  if (hidden(name)) return false;
  const dot = name.lastIndexOf('.');
  return dot > 0 && IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}

function isDirectory(dir: string, entry: Dirent): boolean {
  if (!entry.isSymbolicLink()) return entry.isDirectory();
  try {
    return statSync(join(dir, entry.name)).isDirectory();
  } catch {
    return false;
  }
}

/** Decodes the images at `rows` of `tree` into one uint8 split (pixels × 1/255 when batched). */
function decodeRows(tree: ImageTree, rows: Int32Array, geometry: Geometry): Split {
  const { height, width, channels } = geometry;
  const size = height * width * channels;
  const x = new Uint8Array(rows.length * size);
  const reader = new SmallFileReader();
  const y = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const file = tree.files[rows[i]!]!;
    const image = decodeImage(reader.read(file), file);
    checkImage(image, file, geometry);
    const out = x.subarray(i * size, (i + 1) * size);
    if (image.width === width && image.height === height) toChannels(image, channels, out);
    else resizeBilinear(toChannels(image, channels), image.width, image.height, channels, width, height, out);
    y[i] = tree.labels[rows[i]!]!;
  }
  return { x, y, count: rows.length, scale: 1 / 255 };
}

function checkImage(image: DecodedImage, file: string, geometry: Geometry): void {
  if (geometry.sizeFrom && (image.height !== geometry.height || image.width !== geometry.width)) {
    throw dataError(file, undefined, `${image.height}×${image.width} image, but ${geometry.sizeFrom} is ${geometry.height}×${geometry.width}`,
      'set data.size: [height, width] to resize every image');
  }
  const channels = image.grayscale ? 1 : 3;
  if (geometry.channelsFrom && channels !== geometry.channels) {
    throw dataError(file, undefined, `${image.grayscale ? 'grayscale' : 'colour'} image, but ${geometry.channelsFrom} is ${geometry.channels === 1 ? 'grayscale' : 'colour'}`,
      'set data.channels: 1 or 3 to convert every image');
  }
}

/** The stored geometry: `size`/`channels` from the recipe, else those of the first image. */
function geometryOf(spec: ImagesSpec, first: string): Geometry {
  const image = decodeImage(readDataFile(first, 'the image'), first);
  const from = `the first image (${first})`;
  return {
    height: spec.size?.[0] ?? image.height,
    width: spec.size?.[1] ?? image.width,
    channels: spec.channels ?? (image.grayscale ? 1 : 3),
    ...(spec.size ? {} : { sizeFrom: from }),
    ...(spec.channels ? {} : { channelsFrom: from }),
  };
}

/** `dataset: images`: folders of PNG/JPEG images, one per class; examples are [h, w, channels] uint8. */
export const imagesDataset: DatasetDefinition<ImagesSpec> = {
  name: 'images',
  description: 'A folder of class folders of PNG and JPEG images (the folder names, sorted, are the labels). '
    + 'Examples are [height, width, channels], pixels in [0, 1] (held as bytes, converted per batch).',
  properties: {
    path: { type: 'string', minLength: 1, description: 'The folder of class folders, relative to the recipe.' },
    testPath: { type: 'string', minLength: 1, description: 'A folder of the same layout held out for evaluation instead of testFraction of path.' },
    size: {
      type: 'array', items: { type: 'integer', minimum: 1, maximum: 4096 }, minItems: 2, maxItems: 2,
      description: '[height, width] every image is resized to (bilinear); default: the images\' own size, which must agree.',
    },
    channels: { enum: [1, 3], description: '1 (grayscale) or 3 (RGB) to convert every image to; default: the images\' own, which must agree.' },
  },
  required: ['path'],
  version: 1,
  load(spec, ctx) {
    const train = listImageTree(ctx.resolve(spec.path), 'data.path');
    const test = spec.testPath ? listImageTree(ctx.resolve(spec.testPath), 'data.testPath', train.classes) : undefined;
    const options = { seed: ctx.seed, testFraction: spec.testFraction, limit: spec.limit };
    const rows = test ? fileSplitRows(train.files.length, test.files.length, options) : splitRows(train.files.length, options);
    const geometry = geometryOf(spec, train.files[rows.train[0]!]!);
    const data: LoadedData = {
      train: decodeRows(train, rows.train, geometry),
      test: decodeRows(test ?? train, rows.test, geometry),
      inputShape: [geometry.height, geometry.width, geometry.channels],
      numClasses: Math.max(2, train.classes.length),
      classes: train.classes,
    };
    return data;
  },
};
