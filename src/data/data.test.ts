import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { requireSystemDep } from '../../test/helpers.js';
import { parseIdx, loadIdxPair } from './idx.js';
import { loadDataset } from './index.js';
import { loadMnistDigits } from './mnist.js';
import { seededSplit } from './split.js';
import type { Examples, Split } from './types.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'condense-idx-'));

function idxBytes(type: number, dims: number[], values: number[]): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return new Uint8Array([...header, ...values]);
}

describe('idx loader', () => {
  it('parses images and labels, gzipped or not, scaling bytes to [0, 1]', () => {
    const dir = tempDir();
    const images = idxBytes(0x08, [3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]);
    writeFileSync(join(dir, 'img'), images);
    writeFileSync(join(dir, 'lab.gz'), gzipSync(idxBytes(0x08, [3], [2, 0, 1])));
    const ex = loadIdxPair(join(dir, 'img'), join(dir, 'lab.gz'));
    expect(ex).toMatchObject({ count: 3, featureSize: 4, numClasses: 3, inputShape: [4] });
    expect(Array.from(ex.x.slice(0, 4))).toEqual([0, 1, 0.2, 0.4].map(Math.fround));
    expect(Array.from(ex.y)).toEqual([2, 0, 1]);
  });

  it('rejects a bad magic number, a truncated file and mismatched counts', () => {
    expect(() => parseIdx(new Uint8Array([1, 2, 3, 4]), 'x')).toThrow('x: not an IDX file (bad magic number)');
    expect(() => parseIdx(idxBytes(0x08, [10], [1, 2]), 'y')).toThrow(/y: truncated IDX file/);
    const dir = tempDir();
    writeFileSync(join(dir, 'i'), idxBytes(0x08, [2, 1], [1, 2]));
    writeFileSync(join(dir, 'l'), idxBytes(0x08, [3], [0, 1, 0]));
    expect(() => loadIdxPair(join(dir, 'i'), join(dir, 'l'))).toThrow(/3 labels for 2 images/);
  });

  const fashion = '/usr/share/datasets/fashion-mnist';
  it('reads Fashion-MNIST from Debian\'s dataset-fashion-mnist', (ctx) => {
    requireSystemDep(ctx, 'dataset-fashion-mnist', existsSync(fashion), `apt-get install dataset-fashion-mnist (${fashion})`);
    const data = loadDataset({
      dataset: 'idx', images: `${fashion}/t10k-images-idx3-ubyte.gz`, labels: `${fashion}/t10k-labels-idx1-ubyte.gz`,
      testFraction: 0.1, limit: 2000,
    }, 1, '/');
    expect(data.numClasses).toBe(10);
    expect(data.featureSize).toBe(784);
    expect(data.train.count + data.test.count).toBe(2000);
    expect(Math.max(...data.train.x.subarray(0, 784 * 10))).toBeLessThanOrEqual(1);
    expect(new Set(data.train.y).size).toBe(10);
  });
});

describe('mnist loader and seeded split', () => {
  it('bundles 10,000 digits with pixels in [0, 1]', () => {
    const ex = loadMnistDigits();
    expect(ex.count).toBe(10000);
    expect(Math.min(...ex.x.subarray(0, 784 * 5))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ex.x.subarray(0, 784 * 5))).toBeLessThanOrEqual(1);
    expect(new Set(ex.y).size).toBe(10);
  });

  it('loadDataset splits MNIST with seededSplit, deterministically by seed', () => {
    const a = loadDataset({ dataset: 'mnist', testFraction: 0.2, limit: 1000 }, 5, '.');
    const b = loadDataset({ dataset: 'mnist', testFraction: 0.2, limit: 1000 }, 5, '.');
    const c = loadDataset({ dataset: 'mnist', testFraction: 0.2, limit: 1000 }, 6, '.');
    expect(a.train.count).toBe(800);
    expect(a.test.count).toBe(200);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).not.toBe(c.fingerprint);
    const direct = seededSplit(loadMnistDigits(), { seed: 5, testFraction: 0.2, limit: 1000 });
    expect(Buffer.from(a.train.x.buffer).equals(Buffer.from(direct.train.x.buffer))).toBe(true);
    expect(Buffer.from(a.test.x.buffer).equals(Buffer.from(direct.test.x.buffer))).toBe(true);
    expect(Array.from(a.test.y)).toEqual(Array.from(direct.test.y));
  });
});

/** Examples whose row i is [i, −i] with label i mod 7, so each split row names its source row. */
function numberedExamples(count: number): Examples {
  const x = new Float32Array(count * 2);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = -i;
    y[i] = i % 7;
  }
  return { x, y, count, featureSize: 2, inputShape: [2], numClasses: 7 };
}

/** The source rows of a split, checking each row and label came over whole. */
function sourceRows(split: Split): number[] {
  return Array.from({ length: split.count }, (_, r) => {
    const i = split.x[2 * r]!;
    expect([split.x[2 * r + 1], split.y[r]]).toEqual([-i, i % 7]);
    return i;
  });
}

describe('seededSplit', () => {
  it('draws test and train from disjoint source rows that cover every example', () => {
    const { train, test } = seededSplit(numberedExamples(1000), { seed: 5, testFraction: 0.2 });
    const [trainRows, testRows] = [sourceRows(train), sourceRows(test)];
    expect([train.count, test.count]).toEqual([800, 200]);
    expect(testRows.filter((i) => trainRows.includes(i))).toEqual([]);
    expect([...trainRows, ...testRows].sort((p, q) => p - q)).toEqual([...Array(1000).keys()]);
  });

  it('with a limit: that many distinct rows, disjoint, drawn from the whole set', () => {
    const { train, test } = seededSplit(numberedExamples(1000), { seed: 5, testFraction: 0.25, limit: 300 });
    const all = [...sourceRows(train), ...sourceRows(test)];
    expect([train.count, test.count]).toEqual([225, 75]);
    expect(new Set(all).size).toBe(300);
    // shuffled before the limit: not simply the first 300 rows
    expect(Math.max(...all)).toBeGreaterThan(900);
  });

  it('is the same for a seed and different for another; at least one example each side', () => {
    const rows = (seed: number) => sourceRows(seededSplit(numberedExamples(50), { seed, testFraction: 0.3 }).test);
    expect(rows(1)).toEqual(rows(1));
    expect(rows(1)).not.toEqual(rows(2));
    const tiny = seededSplit(numberedExamples(2), { seed: 1, testFraction: 0.01 });
    expect([tiny.train.count, tiny.test.count]).toEqual([1, 1]);
    const mostly = seededSplit(numberedExamples(3), { seed: 1, testFraction: 0.99 });
    expect([mostly.train.count, mostly.test.count]).toEqual([1, 2]);
  });
});
