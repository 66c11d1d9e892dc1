import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { loadDataset } from './index.js';
import { usageFailure } from './testing.js';
import { parseNpy } from './npy.js';

/** A version-1 .npy file of `descr` and `shape` holding `data` (already in the dtype's bytes). */
function npy(descr: string, shape: number[], data: Uint8Array, fortran = false): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const failure = usageFailure;

describe('npy dataset', () => {
  it('reads float, int and big-endian dtypes; uint8 stays bytes', () => {
    expect(Array.from(parseNpy(npy('<f4', [3], bytesOf(new Float32Array([1.5, -2, 3]))), 'a').values)).toEqual([1.5, -2, 3]);
    expect(Array.from(parseNpy(npy('<i8', [2], bytesOf(new BigInt64Array([5n, -7n]))), 'b').values)).toEqual([5, -7]);
    expect(Array.from(parseNpy(npy('>i2', [2], new Uint8Array([0, 1, 0xff, 0xfe])), 'c').values)).toEqual([1, -2]);
    expect(Array.from(parseNpy(npy('<f2', [2], new Uint8Array([0x00, 0x3c, 0x00, 0xc0])), 'd').values)).toEqual([1, -2]);
    const bytes = parseNpy(npy('|u1', [2, 2], new Uint8Array([0, 9, 200, 255])), 'e');
    expect(bytes.values).toBeInstanceOf(Uint8Array);
    expect(bytes.shape).toEqual([2, 2]);
  });

  it('keeps x\'s trailing dimensions as the example shape, with testX/testY as the held-out split', () => {
    const dir = tempDir('condense-npy-');
    writeFileSync(join(dir, 'x.npy'), npy('<f8', [6, 2, 3, 1], bytesOf(Float64Array.from({ length: 36 }, (_, i) => i / 36))));
    writeFileSync(join(dir, 'y.npy'), npy('<i4', [6], bytesOf(Int32Array.from([0, 1, 2, 0, 1, 2]))));
    writeFileSync(join(dir, 'tx.npy'), npy('<f4', [2, 2, 3, 1], bytesOf(new Float32Array(12).fill(0.5))));
    writeFileSync(join(dir, 'ty.npy'), npy('|u1', [2], new Uint8Array([3, 0])));
    const data = loadDataset({ dataset: 'npy', x: 'x.npy', y: 'y.npy', testX: 'tx.npy', testY: 'ty.npy', testFraction: 0.2 }, 1, dir);
    expect(data).toMatchObject({ name: 'npy', inputShape: [2, 3, 1], featureSize: 6, numClasses: 4 });
    expect([data.train.count, data.test.count]).toEqual([6, 2]);
    expect(Array.from(data.test.y).sort()).toEqual([0, 3]);
    const seeded = loadDataset({ dataset: 'npy', x: 'x.npy', y: 'y.npy', testFraction: 0.5 }, 1, dir);
    expect([seeded.train.count, seeded.test.count]).toEqual([3, 3]);
  });

  it('refuses a file that is not NumPy, truncated, Fortran-ordered, and x/y that disagree in length', () => {
    const dir = tempDir('condense-npy-');
    const file = join(dir, 'x.npy');
    expect(failure(() => parseNpy(new TextEncoder().encode('a,b\n1,2\n'), file))).toBe(`${file}: not a NumPy .npy file (no \\x93NUMPY magic)`);
    const whole = npy('<f4', [4, 2], bytesOf(new Float32Array(8)));
    expect(failure(() => parseNpy(whole.subarray(0, whole.length - 5), file))).toBe(`${file}: truncated .npy file: 27 bytes of data, shape (4, 2) needs 32`);
    expect(failure(() => parseNpy(whole.subarray(0, 40), file))).toBe(`${file}: truncated .npy file (the header is cut off)`);
    expect(failure(() => parseNpy(npy('<f4', [2, 2], bytesOf(new Float32Array(4)), true), file))).toBe(`${file}: the array is in Fortran order`);
    expect(failure(() => parseNpy(npy('<U3', [1], new Uint8Array(12)), file))).toBe(`${file}: dtype <U3 is not supported (use a float, int, uint or bool dtype)`);
    writeFileSync(file, whole);
    writeFileSync(join(dir, 'y.npy'), npy('<i4', [3], bytesOf(new Int32Array(3))));
    const spec = { dataset: 'npy', x: 'x.npy', y: 'y.npy', testFraction: 0.2 };
    expect(failure(() => loadDataset(spec, 1, dir))).toBe(`${join(dir, 'y.npy')}: y has shape (3), but x (${file}) has 4 examples: y needs shape (4,)`);
    writeFileSync(join(dir, 'y.npy'), npy('<f4', [4], bytesOf(new Float32Array([0, 1, 0.5, 1]))));
    expect(failure(() => loadDataset(spec, 1, dir))).toBe(`${join(dir, 'y.npy')}: label 0.5 at index 2 is not a class index (an integer ≥ 0)`);
    writeFileSync(file, npy('<f4', [2, 1], bytesOf(new Float32Array([1, NaN]))));
    writeFileSync(join(dir, 'y.npy'), npy('<i4', [2], bytesOf(new Int32Array(2))));
    expect(failure(() => loadDataset(spec, 1, dir))).toBe(`${file}: value NaN at flat index 1 (example 1) is not a finite number`);
    expect(failure(() => loadDataset({ ...spec, x: 'missing.npy' }, 1, dir))).toBe(`${join(dir, 'missing.npy')}: cannot read the .npy file (no such file or folder)`);
  });

  it('task: regression reads y of any numeric dtype as float32 targets; a non-finite target is refused', () => {
    const dir = tempDir('condense-npy-');
    writeFileSync(join(dir, 'x.npy'), npy('<f4', [4, 2], bytesOf(Float32Array.from({ length: 8 }, (_, i) => i))));
    writeFileSync(join(dir, 'y.npy'), npy('<f8', [4, 1], bytesOf(new Float64Array([0.5, -2.25, 1e3, 7]))));
    const spec = { dataset: 'npy', x: 'x.npy', y: 'y.npy', testFraction: 0.25 };
    const data = loadDataset(spec, 1, dir, undefined, 'regression');
    expect(data).toMatchObject({ inputShape: [2], numClasses: 1 });
    const byFirstFeature = new Map<number, number>();
    for (const part of [data.train, data.test]) {
      expect(part.y).toBeInstanceOf(Float32Array);
      for (let r = 0; r < part.count; r++) byFirstFeature.set(part.x[2 * r]!, part.y[r]!);
    }
    expect([...byFirstFeature].sort((a, b) => a[0] - b[0])).toEqual([[0, 0.5], [2, -2.25], [4, 1000], [6, 7]]);
    writeFileSync(join(dir, 'y.npy'), npy('<i2', [4], bytesOf(new Int16Array([-3, 1, 2, 5]))));
    expect(Array.from(loadDataset(spec, 1, dir, undefined, 'regression').train.y).every((v) => [-3, 1, 2, 5].includes(v))).toBe(true);
    writeFileSync(join(dir, 'y.npy'), npy('<f4', [4], bytesOf(new Float32Array([1, 2, NaN, 4]))));
    expect(failure(() => loadDataset(spec, 1, dir, undefined, 'regression'))).toBe(`${join(dir, 'y.npy')}: target NaN at index 2 is not a finite number`);
  });
});
