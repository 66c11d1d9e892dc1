import { mkdirSync, mkdtempSync, readdirSync, readFileSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedBytes, decodedCacheDir, sourceKey } from './decoded-cache.js';
import { loadMnistDigits } from './mnist.js';

const fresh = () => ({ CONDENSE_DATA_CACHE: mkdtempSync(join(tmpdir(), 'condense-decoded-')) });

describe('decoded-dataset cache', () => {
  it('MNIST read back from its decoded copy is exactly what parsing the JSON gives', () => {
    const env = fresh();
    const parsed = loadMnistDigits({ CONDENSE_DATA_CACHE: 'off' });
    const first = loadMnistDigits(env);
    const [file] = readdirSync(env.CONDENSE_DATA_CACHE);
    expect(file).toMatch(/^mnist-[0-9a-f]{16}\.bin$/);
    const second = loadMnistDigits(env);
    for (const ex of [first, second]) {
      expect(ex.count).toBe(parsed.count);
      expect(Buffer.from(ex.x.buffer, ex.x.byteOffset, ex.x.byteLength).equals(Buffer.from(parsed.x.buffer, parsed.x.byteOffset, parsed.x.byteLength))).toBe(true);
      expect(Array.from(ex.y)).toEqual(Array.from(parsed.y));
    }
    expect(parsed.count).toBe(10_000);
  });

  it('decodes again and replaces a copy that is short or fails its check; writes nothing when off', () => {
    const env = fresh();
    let decoded = 0;
    const encode = () => (decoded++, new Uint8Array([1, 2, 3, 4]));
    const valid = (b: Uint8Array) => b.length === 4;
    cachedBytes('t', 'k', encode, valid, env);
    expect(Array.from(cachedBytes('t', 'k', encode, valid, env))).toEqual([1, 2, 3, 4]);
    expect(decoded).toBe(1);
    truncateSync(join(env.CONDENSE_DATA_CACHE, 't-k.bin'), 2);
    expect(Array.from(cachedBytes('t', 'k', encode, valid, env))).toEqual([1, 2, 3, 4]);
    expect(decoded).toBe(2);
    expect(readFileSync(join(env.CONDENSE_DATA_CACHE, 't-k.bin')).length).toBe(4);
    expect(decodedCacheDir({ CONDENSE_DATA_CACHE: 'off' })).toBeUndefined();
    expect(decodedCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/condense/datasets');
  });

  it('keys a copy by the package version and the files\' names and sizes, not where or when they were installed', () => {
    const root = mkdtempSync(join(tmpdir(), 'condense-installs-'));
    const install = (dir: string, text: string, time: number) => {
      mkdirSync(join(root, dir));
      writeFileSync(join(root, dir, '0.json'), text);
      utimesSync(join(root, dir, '0.json'), time, time);
      return [join(root, dir, '0.json')];
    };
    const [a, b, changed] = [install('a', '[1,2]', 500_000_000), install('b', '[1,2]', 600_000_000), install('c', '[1,2,3]', 500_000_000)];
    expect(sourceKey('mnist 1', a)).toBe(sourceKey('mnist 1', b));
    expect(sourceKey('mnist 1', a)).not.toBe(sourceKey('mnist 1', changed));
    expect(sourceKey('mnist 1', a)).not.toBe(sourceKey('mnist 2', a));
  });
});
