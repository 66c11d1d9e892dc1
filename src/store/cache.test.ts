import { mkdirSync, mkdtempSync, readdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StageCache } from './cache.js';

const fp = (c: string) => c.repeat(64);
const files = (text: string) => new Map([['model/model.json', new TextEncoder().encode(text)], ['record.json', new TextEncoder().encode(JSON.stringify({ stage: 'baseline', type: 'train' }))]]);
const fresh = () => new StageCache(mkdtempSync(join(tmpdir(), 'condense-cache-unit-')));
const text = (c: StageCache, f: string) => new TextDecoder().decode(c.get(f)!.files.get('model/model.json'));

describe('StageCache', () => {
  it('stores a checkpoint by fingerprint once: a second put keeps the first', () => {
    const cache = fresh();
    expect(cache.get(fp('a'))).toBeUndefined();
    expect(cache.put(fp('a'), files('first'))).toBe(true);
    expect(cache.put(fp('a'), files('second'))).toBe(true);
    expect(text(cache, fp('a'))).toBe('first');
    expect(readdirSync(join(cache.root, 'tmp'))).toEqual([]);
  });

  it('verifies on read: a corrupted entry reads as missing, is removed, and can be stored again', () => {
    const cache = fresh();
    cache.put(fp('b'), files('good'));
    writeFileSync(join(cache.entryDir(fp('b')), 'model', 'model.json'), 'evil');
    expect(cache.get(fp('b'))).toBeUndefined();
    expect(cache.list()).toEqual([]);
    cache.put(fp('b'), files('good'));
    expect(text(cache, fp('b'))).toBe('good');
  });

  it('an entry stored under another fingerprint is not served', () => {
    const cache = fresh();
    cache.put(fp('c'), files('x'));
    mkdirSync(join(cache.root, 'stages', 'dd'), { recursive: true });
    renameSync(cache.entryDir(fp('c')), cache.entryDir(fp('d')));
    expect(cache.get(fp('d'))).toBeUndefined();
  });

  it('lists entries with their stage, and prunes those unused for longer than asked', () => {
    const cache = fresh();
    cache.put(fp('e'), files('old'));
    cache.put(fp('f'), files('new'));
    const old = new Date(Date.now() - 40 * 86_400_000);
    utimesSync(cache.entryDir(fp('e')), old, old);
    expect(cache.list().map((e) => [e.fingerprint, e.stage, e.type])).toEqual([[fp('e'), 'baseline', 'train'], [fp('f'), 'baseline', 'train']]);
    expect(cache.prune(30 * 86_400_000).map((e) => e.fingerprint)).toEqual([fp('e')]);
    expect(cache.list().map((e) => e.fingerprint)).toEqual([fp('f')]);
  });

  it('a claim is exclusive: the second waits until the first is released', async () => {
    const cache = fresh();
    const first = await cache.claim(fp('g'));
    let second = false;
    const waiting = cache.claim(fp('g')).then((c) => {
      second = true;
      return c;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(second).toBe(false);
    first.release();
    (await waiting).release();
    expect(second).toBe(true);
  });

  it('a claim left by a dead process is taken over', async () => {
    const cache = fresh();
    mkdirSync(join(cache.root, 'claims'), { recursive: true });
    const { hostname } = await import('node:os');
    writeFileSync(join(cache.root, 'claims', `${fp('h')}.claim`), JSON.stringify({ host: hostname(), pid: 2 ** 22 + 12345 }));
    const claim = await cache.claim(fp('h'));
    claim.release();
  });
});
