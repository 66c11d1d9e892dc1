import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { resizeBilinear } from './image-decode.js';
import { loadDataset } from './index.js';
import { filesIn, usageFailure } from './testing.js';

/** A PNG of `width × height` whose pixel (x, y) is `value(x, y)`, grayscale or RGB. */
function png(width: number, height: number, value: (x: number, y: number) => number, rgb = false): Buffer {
  const image = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = 4 * (y * width + x);
      const v = value(x, y);
      image.data.set([v, rgb ? 255 - v : v, rgb ? 0 : v, 255], at);
    }
  }
  const colorType = rgb ? 2 : 0;
  return PNG.sync.write(image, { colorType, inputColorType: 6 });
}

const tree = (files: Record<string, Uint8Array | string>): string => filesIn(files, 'condense-images-');

const failure = usageFailure;

const load = (dir: string, extra: Record<string, unknown> = {}) =>
  loadDataset({ dataset: 'images', path: join(dir, 'train'), testFraction: 0.25, ...extra }, 3, '/');

describe('images dataset', () => {
  it('reads class folders (sorted) as labels, keeps [h, w, 1], holds bytes scaled by 1/255', () => {
    const dir = tree({
      'train/b/1.png': png(4, 3, () => 200), 'train/b/2.png': png(4, 3, () => 210),
      'train/a/1.png': png(4, 3, (x) => x * 10), 'train/a/2.png': png(4, 3, () => 20),
      'train/.DS_Store': 'junk', 'train/a/.DS_Store': 'junk', 'train/a/notes.txt': 'stray', 'train/README': 'stray',
    });
    const data = load(dir);
    expect(data).toMatchObject({ name: 'images', inputShape: [3, 4, 1], featureSize: 12, numClasses: 2, classes: ['a', 'b'] });
    expect([data.train.count, data.test.count]).toEqual([3, 1]);
    expect(data.train.x).toBeInstanceOf(Uint8Array);
    expect(data.train.scale).toBeCloseTo(1 / 255);
    const all = [data.train, data.test].flatMap((s) => Array.from({ length: s.count }, (_, r) => [s.y[r], s.x[r * 12]! , s.x[r * 12 + 3]]));
    expect(all.sort()).toEqual([[0, 0, 30], [0, 20, 20], [1, 200, 200], [1, 210, 210]].sort());
  });

  it('reads JPEG too; converts channels when `channels` is given; resizes mixed sizes with `size`', () => {
    const rgba = Buffer.alloc(8 * 8 * 4, 128);
    const dir = tree({
      'train/x/a.jpg': jpeg.encode({ width: 8, height: 8, data: rgba }, 95).data,
      'train/x/b.png': png(4, 4, () => 100, true),
      'train/y/c.png': png(2, 2, () => 50),
    });
    const data = load(dir, { size: [4, 4], channels: 3, testFraction: 0.34 });
    expect(data.inputShape).toEqual([4, 4, 3]);
    const gray = load(dir, { size: [2, 2], channels: 1, testFraction: 0.34 });
    expect(gray.inputShape).toEqual([2, 2, 1]);
    const pixels = [gray.train, gray.test].flatMap((s) => Array.from(s.x));
    // RGB (100, 155, 0) → luma round(0.299·100 + 0.587·155) = 121; the JPEG's grey stays ≈128
    expect(pixels).toContain(121);
    expect(pixels).toContain(50);
    expect(pixels.some((v) => Math.abs(v - 128) <= 2)).toBe(true);
  });

  it('resizes bilinearly at pixel centres, the same bytes every time', () => {
    const out = new Uint8Array(4);
    resizeBilinear(Uint8Array.from([0, 100, 200, 255]), 4, 1, 1, 2, 1, out.subarray(0, 2));
    expect(Array.from(out.subarray(0, 2))).toEqual([50, 228]);
    const up = new Uint8Array(4);
    resizeBilinear(Uint8Array.from([0, 100]), 2, 1, 1, 4, 1, up);
    expect(Array.from(up)).toEqual([0, 25, 75, 100]);
  });

  it('refuses mismatched sizes or channels without size/channels, corrupt images and missing folders, naming the file', () => {
    const mixed = tree({ 'train/a/1.png': png(4, 4, () => 1), 'train/b/2.png': png(5, 4, () => 1) });
    expect(failure(() => load(mixed, { testFraction: 0.5 }))).toMatch(new RegExp(`^${join(mixed, 'train/[ab]/[12].png')}: 4×[45] image, but the first image \\(.*\\) is 4×[45]$`));
    const colour = tree({ 'train/a/1.png': png(4, 4, () => 1), 'train/a/2.png': png(4, 4, () => 1, true), 'train/b/3.png': png(4, 4, () => 1) });
    expect(failure(() => load(colour))).toMatch(/: (colour|grayscale) image, but the first image .* is (grayscale|colour)$/);
    const corrupt = tree({ 'train/a/1.png': png(4, 4, () => 1), 'train/b/2.png': png(4, 4, () => 1).subarray(0, 30) });
    expect(failure(() => load(corrupt, { testFraction: 0.5 }))).toMatch(new RegExp(`^${join(corrupt, 'train/b/2.png')}: corrupt image \\(`));
    const notImage = tree({ 'train/a/1.png': png(4, 4, () => 1), 'train/b/2.png': 'label,x\n' });
    expect(failure(() => load(notImage, { testFraction: 0.5 }))).toBe(`${join(notImage, 'train/b/2.png')}: not a PNG or JPEG image (its bytes do not start like one)`);
    expect(failure(() => load(join(mixed, 'nope')))).toBe(`${join(mixed, 'nope/train')}: cannot read data.path (no such file or folder)`);
    const flat = tree({ 'train/1.png': png(4, 4, () => 1) });
    expect(failure(() => load(flat))).toBe(`${join(flat, 'train')}: no class folders in data.path (expected data.path/<class>/<image>.png)`);
    const empty = tree({ 'train/a/1.png': png(4, 4, () => 1), 'train/b/x.txt': '' });
    expect(failure(() => load(empty))).toBe(`${join(empty, 'train/b')}: class folder without PNG or JPEG images`);
  });

  it('takes testPath as the held-out split; a test class the training set lacks is an error', () => {
    const dir = tree({
      'train/a/1.png': png(2, 2, () => 1), 'train/b/1.png': png(2, 2, () => 2), 'test/b/9.png': png(2, 2, () => 9),
    });
    const data = load(dir, { testPath: join(dir, 'test') });
    expect([data.train.count, data.test.count, Array.from(data.test.y)]).toEqual([2, 1, [1]]);
    mkdirSync(join(dir, 'test/c'));
    writeFileSync(join(dir, 'test/c/1.png'), png(2, 2, () => 1));
    expect(failure(() => load(dir, { testPath: join(dir, 'test') }))).toBe(`${join(dir, 'test/c')}: class "c" is not a class of the training images (a, b)`);
  });

  it('fingerprints the pixels: changing an image changes it', () => {
    const dir = tree({ 'train/a/1.png': png(2, 2, () => 1), 'train/b/1.png': png(2, 2, () => 2) });
    const before = load(dir, { testFraction: 0.5 }).fingerprint;
    expect(load(dir, { testFraction: 0.5 }).fingerprint).toBe(before);
    writeFileSync(join(dir, 'train/b/1.png'), png(2, 2, () => 3));
    expect(load(dir, { testFraction: 0.5 }).fingerprint).not.toBe(before);
  });
});
