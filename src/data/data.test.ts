import { existsSync, writeFileSync } from 'node:fs';
const tempDir = () => mkdtempSync(join(tmpdir(), 'condense-idx-'));
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseIdx, loadIdxPair } from './idx.js';
import { loadDataset } from './index.js';
import { loadMnistDigits } from './mnist.js';

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
  it.skipIf(!existsSync(fashion))('reads Fashion-MNIST from Debian\'s dataset-fashion-mnist', () => {
    const data = loadDataset({
      dataset: 'idx', images: `${fashion}/t10k-images-idx3-ubyte.gz`, labels: `${fashion}/t10k-labels-idx1-ubyte.gz`,
      testFraction: 0.1, limit: 2000,
    }, 1, '/');
    expect(data.numClasses).toBe(10);
    expect(data.featureSize).toBe(784);
    expect(data.train.count + data.test.count).toBe(2000);
    expect(Math.max(...data.train.x.subarray(0, 784 * 10))).toBeLessThanOrEqual(1);
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

  it('splits deterministically by seed, with the requested sizes and no overlap', () => {
    const a = loadDataset({ dataset: 'mnist', testFraction: 0.2, limit: 1000 }, 5, '.');
    const b = loadDataset({ dataset: 'mnist', testFraction: 0.2, limit: 1000 }, 5, '.');
    const c = loadDataset({ dataset: 'mnist', testFraction: 0.2, limit: 1000 }, 6, '.');
    expect(a.train.count).toBe(800);
    expect(a.test.count).toBe(200);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).not.toBe(c.fingerprint);
    const rows = (x: Float32Array, n: number) => new Set(Array.from({ length: n }, (_, i) => x.subarray(i * 784, i * 784 + 784).join(',')));
    const train = rows(a.train.x, a.train.count);
    const overlap = [...rows(a.test.x, a.test.count)].filter((r) => train.has(r)).length;
    expect(overlap).toBeLessThan(3); // MNIST has a few duplicate images; the split itself never repeats a row
  });
});
