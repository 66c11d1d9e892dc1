import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import { CHECKPOINT_FORMAT, probeCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoint.js';

const root = mkdtempSync(join(tmpdir(), 'condense-checkpoint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;

const FILES = new Map<string, Uint8Array>([
  ['model/model.json', new TextEncoder().encode('{"a":1}')],
  ['model/group1-shard1of1.bin', Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff)],
  ['state/masks.json', new Uint8Array(0)],
]);

/** A fresh checkpoint directory holding {@link FILES}. */
function written(fingerprint = 'fp-1'): string {
  const dir = join(root, `stages/${String(++count).padStart(2, '0')}-s`);
  writeCheckpoint(dir, fingerprint, FILES);
  return dir;
}

function rewrite(dir: string, name: string, change: (text: string) => string): void {
  writeFileSync(join(dir, name), change(readFileSync(join(dir, name), 'utf8')));
}

describe('writeCheckpoint / readCheckpoint', () => {
  it('reads back every file byte for byte, with a manifest of their sha256 and sizes', () => {
    const dir = written('fp-round');
    const { manifest, files } = readCheckpoint(dir);
    expect(manifest.format).toBe(CHECKPOINT_FORMAT);
    expect(manifest.fingerprint).toBe('fp-round');
    expect([...files.keys()].sort()).toEqual([...FILES.keys()].sort());
    for (const [name, bytes] of FILES) {
      expect(Buffer.from(files.get(name)!).equals(Buffer.from(bytes))).toBe(true);
      expect(manifest.files[name]).toEqual({ sha256: sha256(bytes), bytes: bytes.length });
    }
  });

  it('leaves only the checkpoint behind (no temp directory) and replaces an older one', () => {
    const dir = written('old');
    writeCheckpoint(dir, 'new', new Map([['only.txt', Uint8Array.of(1)]]));
    expect(readdirSync(join(dir, '..')).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', 'only.txt']);
    expect(readCheckpoint(dir).manifest.fingerprint).toBe('new');
  });

  it('detects one flipped byte, naming the file', () => {
    const dir = written();
    const shard = join(dir, 'model/group1-shard1of1.bin');
    const bytes = readFileSync(shard);
    bytes[123]! ^= 0x01;
    writeFileSync(shard, bytes);
    expect(() => readCheckpoint(dir)).toThrow(UsageError);
    expect(() => readCheckpoint(dir)).toThrow('model/group1-shard1of1.bin does not match its sha256 in the manifest');
    expect(probeCheckpoint(dir)).toEqual({ kind: 'invalid', reason: 'model/group1-shard1of1.bin does not match its sha256 in the manifest' });
  });

  it('detects a truncated file', () => {
    const dir = written();
    rewrite(dir, 'model/model.json', (t) => t.slice(0, -1));
    expect(probeCheckpoint(dir)).toEqual({ kind: 'invalid', reason: 'model/model.json does not match its sha256 in the manifest' });
  });
});

describe('probeCheckpoint', () => {
  it('is missing where there is no directory', () => {
    expect(probeCheckpoint(join(root, 'nowhere'))).toEqual({ kind: 'missing' });
  });

  it('is valid with its fingerprint when every hash checks', () => {
    expect(probeCheckpoint(written('fp-probe'))).toEqual({ kind: 'valid', fingerprint: 'fp-probe' });
  });

  it('is invalid without a manifest: an interrupted write', () => {
    const dir = join(root, 'half-written');
    mkdirSync(join(dir, 'model'), { recursive: true });
    writeFileSync(join(dir, 'model/model.json'), '{}');
    expect(probeCheckpoint(dir)).toEqual({ kind: 'invalid', reason: 'no manifest (an interrupted write)' });
  });

  it('is invalid when a listed file is missing, naming it', () => {
    const dir = written();
    rmSync(join(dir, 'state/masks.json'));
    expect(probeCheckpoint(dir)).toEqual({ kind: 'invalid', reason: 'state/masks.json is missing' });
  });

  it('is invalid with a manifest that is not JSON, or of another format', () => {
    const corrupt = written();
    rewrite(corrupt, 'manifest.json', (t) => t.slice(0, 10));
    expect(probeCheckpoint(corrupt)).toEqual({ kind: 'invalid', reason: 'manifest.json is not valid JSON' });
    const older = written();
    rewrite(older, 'manifest.json', (t) => JSON.stringify({ ...JSON.parse(t), format: 1 }));
    expect(probeCheckpoint(older)).toEqual({ kind: 'invalid', reason: `manifest of format 1, expected ${CHECKPOINT_FORMAT}` });
  });

  it('ignores a file the manifest does not list', () => {
    const dir = written('fp-extra');
    writeFileSync(join(dir, 'stray.txt'), 'x');
    expect(probeCheckpoint(dir)).toEqual({ kind: 'valid', fingerprint: 'fp-extra' });
  });
});
