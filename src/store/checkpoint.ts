import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../util/hash.js';
import { writeDirAtomic } from './atomic.js';

/** Version of the checkpoint layout; part of every fingerprint, so a new layout recomputes. */
export const CHECKPOINT_FORMAT = 2;
const MANIFEST = 'manifest.json';

/** Written last into every checkpoint: what it is and the sha256 of each file. */
export interface CheckpointManifest {
  format: number;
  fingerprint: string;
  files: Record<string, { sha256: string; bytes: number }>;
}

/** A checkpoint read back and verified. */
export interface Checkpoint {
  manifest: CheckpointManifest;
  files: Map<string, Uint8Array>;
}

/** What was found at a checkpoint's place. */
export type CheckpointProbe =
  | { kind: 'missing' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'valid'; fingerprint: string };

/** Writes a checkpoint directory atomically, with its manifest written last. */
export function writeCheckpoint(dir: string, fingerprint: string, files: Map<string, Uint8Array>): void {
  const manifest: CheckpointManifest = { format: CHECKPOINT_FORMAT, fingerprint, files: {} };
  for (const [name, bytes] of files) manifest.files[name] = { sha256: sha256(bytes), bytes: bytes.length };
  const all = new Map<string, Uint8Array | string>(files);
  all.set(MANIFEST, JSON.stringify(manifest, null, 2) + '\n');
  writeDirAtomic(dir, all);
}

function readManifest(dir: string): CheckpointManifest {
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as CheckpointManifest;
  if (manifest.format !== CHECKPOINT_FORMAT || typeof manifest.fingerprint !== 'string' || !manifest.files) {
    throw new Error(`manifest of format ${manifest.format}, expected ${CHECKPOINT_FORMAT}`);
  }
  return manifest;
}

/** Reads a checkpoint and verifies every file against the manifest; throws with the reason. */
export function readCheckpoint(dir: string): Checkpoint {
  const manifest = readManifest(dir);
  const files = new Map<string, Uint8Array>();
  for (const [name, expected] of Object.entries(manifest.files)) {
    const bytes = readFileSync(join(dir, name));
    if (bytes.length !== expected.bytes || sha256(bytes) !== expected.sha256) {
      throw new Error(`${name} does not match its sha256 in the manifest`);
    }
    files.set(name, bytes);
  }
  return { manifest, files };
}

/** Whether a valid checkpoint is at `dir` (every hash verified), and its fingerprint. */
export function probeCheckpoint(dir: string): CheckpointProbe {
  if (!existsSync(dir)) return { kind: 'missing' };
  try {
    return { kind: 'valid', fingerprint: readCheckpoint(dir).manifest.fingerprint };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { kind: 'invalid', reason: code === 'ENOENT' ? 'no manifest (an interrupted write)' : (err as Error).message };
  }
}
