import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StageSnapshot } from '../stages/types.js';
import { BUILTIN_STATE_CODECS } from '../state/codecs.js';
import { latestSnapshot, readSnapshot, writeSnapshot } from './snapshots.js';

const dirs: string[] = [];
const codecs = (kind: string) => BUILTIN_STATE_CODECS.find((c) => c.kind === kind);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function snapshotAt(epoch: number): StageSnapshot {
  return {
    epoch, prng: 1234 + epoch, history: [{ epoch, loss: 1 / epoch }], extra: { sparsity: epoch / 10 }, parts: { masks: new Map([['dense/kernel', Float32Array.from({ length: 64 }, (_, i) => i % 2)]]), quantization: new Map() },
    weights: new Map([['dense/kernel', Float32Array.from({ length: 64 }, (_, i) => i * epoch)]]),
    optimizer: { weights: [{ name: 'iter', shape: [], values: Float32Array.of(epoch) }], betaPowers: [0.9 ** epoch, 0.999 ** epoch] },
  };
}

// Epoch checkpoints are written without fsync: what keeps a resume safe after a power loss is
// that a torn one fails its checksums and the one before it is used instead.
describe('epoch checkpoints', () => {
  it('read back as written, keep the newest two, and a torn newest one is skipped for the one before it', () => {
    const root = mkdtempSync(join(tmpdir(), 'condense-snapshots-'));
    dirs.push(root);
    for (const epoch of [1, 2, 3]) writeSnapshot(root, 'fp', snapshotAt(epoch), codecs);
    expect(readdirSync(root).sort()).toEqual(['epoch-0002', 'epoch-0003']);
    const newest = latestSnapshot(root)!;
    expect(newest.epoch).toBe(3);
    const back = readSnapshot(newest.dir, codecs);
    expect([...back.weights.get('dense/kernel')!]).toEqual([...snapshotAt(3).weights.get('dense/kernel')!]);
    expect(back.prng).toBe(1237);
    expect([...(back.parts.masks as Map<string, Float32Array>).get('dense/kernel')!].slice(0, 4)).toEqual([0, 1, 0, 1]);
    // What a power loss can leave of an unsynced file: its size, zero-filled.
    writeFileSync(join(newest.dir, 'weights.bin'), new Uint8Array(64 * 4));
    const fallback = latestSnapshot(root)!;
    expect(fallback.epoch).toBe(2);
    expect(fallback.skipped).toEqual([expect.stringMatching(/^epoch-0003: .*weights\.bin does not match its sha256/)]);
  });
});
