import { readdirSync, statSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import type { ImagesDataSpec } from '../recipe/types.js';
import { join, sep } from 'node:path';
import { SmallFileReader, dataError, readDataFile, requireDirectory } from './files.js';
import { IMAGE_EXTENSIONS, ImageDecoder, decodeImage, resizeBilinear, toChannels } from './image-decode.js';
import type { DecodedImage } from './image-decode.js';
import type { DatasetDefinition, LoadedData } from './registry.js';
import { fileSplitRows, splitRows } from './split.js';
import type { Split } from './types.js';

/** Fields of `dataset: images`, as the schema (built from `properties` below) gives them. */
export type ImagesSpec = ImagesDataSpec;

/**
 * The images of a class-folder tree, in order: classes sorted, files sorted within a class.
 * Image i is `folders[folderOf[i]]/names[i]`: the names readdir returned, not a path string per
 * image, which for tens of thousands of images would be megabytes the collector has to keep.
 */
export interface ImageTree {
  folders: string[];
  folderOf: Int32Array;
  names: string[];
  labels: Int32Array;
  classes: string[];
}

/** The path of image `i` of `tree`. */
export function imagePath(tree: ImageTree, i: number): string {
  return `${tree.folders[tree.folderOf[i]!]!}${sep}${tree.names[i]!}`;
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
  const dirs = folders.map((folder) => join(root, folder));
  // Names only (no Dirent per file): with tens of thousands of images the listing's garbage
  // alone would be a large part of the memory the images take.
  const lists = dirs.map((dir, f) => {
    if (!names.includes(folders[f]!)) throw dataError(dir, undefined, `class "${folders[f]}" is not a class of the training images (${names.join(', ')})`);
    const images = readdirSync(dir).filter(isImageName).sort(byCodeUnit);
    if (!images.length) throw dataError(dir, undefined, 'class folder without PNG or JPEG images', 'remove the folder, or add its images');
    return images;
  });
  const count = lists.reduce((sum, list) => sum + list.length, 0);
  const tree: ImageTree = { folders: dirs, folderOf: new Int32Array(count), names: new Array<string>(count), labels: new Int32Array(count), classes: names };
  let i = 0;
  lists.forEach((list, f) => {
    const label = names.indexOf(folders[f]!);
    for (const name of list) {
      tree.folderOf[i] = f;
      tree.labels[i] = label;
      tree.names[i++] = name;
    }
  });
  return tree;
}

/** Whether a file name is that of a visible image (compared in place: no string per name). */
function isImageName(name: string): boolean {
  return !hidden(name) && IMAGE_EXTENSIONS.some((ext) => endsWithIgnoringCase(name, ext));
}

function endsWithIgnoringCase(name: string, ending: string): boolean {
  const from = name.length - ending.length;
  if (from < 1) return false;
  for (let i = 0; i < ending.length; i++) {
    const c = name.charCodeAt(from + i);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== ending.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether a folder entry is a folder (following a symbolic link, which a plain Dirent does not). */

function isDirectory(dir: string, entry: Dirent): boolean {
  if (!entry.isSymbolicLink()) return entry.isDirectory();
  try {
    return statSync(join(dir, entry.name)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Decodes the images at `rows` of `tree` into one uint8 split (pixels × 1/255 when batched).
 * The loop allocates nothing per image of the common kind (8-bit PNG at the stored size): the
 * file buffer, decoder buffers and the split are reused or allocated once, so the young
 * generation does not grow with the number of images.
 */
function decodeRows(tree: ImageTree, rows: Int32Array, geometry: Geometry): Split {
  const { height, width, channels } = geometry;
  const size = height * width * channels;
  const x = new Uint8Array(rows.length * size);
  const reader = new SmallFileReader();
  const decoder = new ImageDecoder();
  let unresized = new Uint8Array(0);
  const y = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const file = imagePath(tree, rows[i]!);
    const length = reader.load(file); // first: a larger file replaces the reader's buffer
    const image = decoder.decode(reader.bytes, file, length);
    checkImage(image, file, geometry);
    if (image.width === width && image.height === height) toChannels(image, channels, x, i * size);
    else {
      const length = image.width * image.height * channels;
      if (unresized.length < length) unresized = new Uint8Array(length);
      resizeBilinear(toChannels(image, channels, unresized), image.width, image.height, channels, width, height, x, i * size);
    }
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
    const rows = test ? fileSplitRows(train.names.length, test.names.length, options) : splitRows(train.names.length, options);
    const geometry = geometryOf(spec, imagePath(train, rows.train[0]!));
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
