import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import { writeDirAtomic } from './atomic.js';
import type { DirWriteOptions } from './atomic.js';

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

/** Writes a checkpoint directory atomically, with its manifest written last (durably unless `options.durable` is false). */
export function writeCheckpoint(dir: string, fingerprint: string, files: Map<string, Uint8Array>, options: DirWriteOptions = {}): void {
  const manifest: CheckpointManifest = { format: CHECKPOINT_FORMAT, fingerprint, files: {} };
  for (const [name, bytes] of files) manifest.files[name] = { sha256: sha256(bytes), bytes: bytes.length };
  const all = new Map<string, Uint8Array | string>(files);
  all.set(MANIFEST, JSON.stringify(manifest, null, 2) + '\n');
  writeDirAtomic(dir, all, options);
}

/**
 * A checkpoint that fails verification. Planning turns this into "recompute the stage"; it
 * reaches the user only when the files change after planning checked them.
 */
function invalidCheckpoint(dir: string, message: string): UsageError {
  return new UsageError(message, { hint: `the checkpoint in ${dir} changed after condense checked it (another process, or the disk): run again to recompute that stage` });
}

function readManifest(dir: string): CheckpointManifest {
  // A missing manifest throws ENOENT as is: callers report it as an interrupted write.
  const text = readFileSync(join(dir, MANIFEST), 'utf8');
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(text) as CheckpointManifest;
  } catch {
    throw invalidCheckpoint(dir, `${MANIFEST} is not valid JSON`);
  }
  if (manifest?.format !== CHECKPOINT_FORMAT || typeof manifest.fingerprint !== 'string' || !manifest.files) {
    throw invalidCheckpoint(dir, `manifest of format ${manifest?.format}, expected ${CHECKPOINT_FORMAT}`);
  }
  return manifest;
}

function readListedFile(dir: string, name: string): Uint8Array {
  try {
    return readFileSync(join(dir, name));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalidCheckpoint(dir, code === 'ENOENT' ? `${name} is missing` : `${name} cannot be read (${code ?? String(err)})`);
  }
}

/** Reads a checkpoint and verifies every file against the manifest; throws with the reason. */
export function readCheckpoint(dir: string): Checkpoint {
  const manifest = readManifest(dir);
  const files = new Map<string, Uint8Array>();
  for (const [name, expected] of Object.entries(manifest.files)) {
    const bytes = readListedFile(dir, name);
    if (bytes.length !== expected.bytes || sha256(bytes) !== expected.sha256) {
      throw invalidCheckpoint(dir, `${name} does not match its sha256 in the manifest`);
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
