import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { decodeOptimizerState, encodeOptimizerState } from '../model/optimizer-state.js';
import { decodeParts, encodeParts } from '../state/codecs.js';
import type { CodecLookup } from '../state/codecs.js';
import type { StageSnapshot } from '../stages/types.js';
import { probeCheckpoint, readCheckpoint, writeCheckpoint } from '../store/checkpoint.js';
import { sweepTemp } from '../store/atomic.js';
import { packFloat, unpackFloat } from '../util/float-pack.js';

/** Epoch checkpoints kept per stage (older ones are removed once a newer one is complete). */
const KEEP_EPOCH_CHECKPOINTS = 2;

/** Directory holding a stage's epoch checkpoints: `stages/NN-name.epochs`. */
export function snapshotRoot(stageDir: string): string {
  return `${stageDir}.epochs`;
}

/** Where an epoch checkpoint keeps the state's parts, one codec's files each. */
const STATE_PREFIX = 'state/';

/**
 * Writes one epoch checkpoint of a training stage (weights, optimizer state, every kind of model
 * state through its codec, PRNG state, history) atomically but without fsync, then drops all but the newest
 * {@link KEEP_EPOCH_CHECKPOINTS}.
 */
export function writeSnapshot(root: string, fingerprint: string, snapshot: StageSnapshot, codecs: CodecLookup): void {
  const weights = packFloat(snapshot.weights);
  const optimizer = encodeOptimizerState(snapshot.optimizer);
  const meta = {
    epoch: snapshot.epoch, prng: snapshot.prng, history: snapshot.history, extra: snapshot.extra,
    weights: weights.index, optimizer: JSON.parse(optimizer.json) as unknown,
  };
  const files = new Map<string, Uint8Array>([
    ['weights.bin', weights.bytes],
    ['optimizer.bin', optimizer.data],
    ['snapshot.json', new TextEncoder().encode(JSON.stringify(meta) + '\n')],
    ...encodeParts(snapshot.parts, codecs, STATE_PREFIX),
  ]);
  // Not fsynced: an epoch checkpoint is only a shortcut. A kill -9 loses nothing, and one a power
  // loss tears fails its checksums and is skipped for the one before it; fsyncs cost 7-40 ms an
  // epoch (most of a quickstart epoch's time outside its steps on a busy disk).
  writeCheckpoint(join(root, epochName(snapshot.epoch)), fingerprint, files, { durable: false });
  const all = epochDirs(root);
  for (const old of all.slice(0, Math.max(0, all.length - KEEP_EPOCH_CHECKPOINTS))) rmSync(join(root, old), { recursive: true, force: true });
}

function epochName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

function epochDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((n) => /^epoch-\d{4}$/.test(n)).sort();
}

/** The newest epoch checkpoint that verifies, with what was wrong with newer ones. */
export function latestSnapshot(root: string): { dir: string; epoch: number; fingerprint: string; skipped: string[] } | undefined {
  sweepTemp(root);
  const skipped: string[] = [];
  for (const name of epochDirs(root).reverse()) {
    const probe = probeCheckpoint(join(root, name));
    if (probe.kind === 'valid') return { dir: join(root, name), epoch: Number(name.slice(6)), fingerprint: probe.fingerprint, skipped };
    if (probe.kind === 'invalid') skipped.push(`${name}: ${probe.reason}`);
  }
  return undefined;
}

/** Reads an epoch checkpoint back (verifying every file). */
export function readSnapshot(dir: string, codecs: CodecLookup): StageSnapshot {
  const { files } = readCheckpoint(dir);
  const meta = JSON.parse(new TextDecoder().decode(files.get('snapshot.json'))) as {
    epoch: number; prng: number; history: StageSnapshot['history']; extra: Record<string, number>;
    weights: Array<{ key: string; length: number }>; optimizer: unknown;
  };
  return {
    epoch: meta.epoch,
    prng: meta.prng,
    history: meta.history,
    extra: meta.extra,
    weights: unpackFloat(meta.weights, files.get('weights.bin')!),
    parts: decodeParts(files, codecs, [], STATE_PREFIX),
    optimizer: decodeOptimizerState(JSON.stringify(meta.optimizer), files.get('optimizer.bin')!),
  };
}

/** Removes a stage's epoch checkpoints (after the stage checkpoint is complete, or on restart). */
export function removeSnapshots(root: string): void {
  rmSync(root, { recursive: true, force: true });
}
