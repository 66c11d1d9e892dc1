import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { Checkpoint } from './checkpoint.js';
import { StageClaim } from './claim.js';

/** One entry of the shared stage cache, as `condense cache ls` shows it. */
export interface CacheEntry {
  fingerprint: string;
  dir: string;
  /** The stage's name and type, from its record (undefined when the record is unreadable). */
  stage?: string;
  type?: string;
  bytes: number;
  /** When it was written, and last read by a run (ms since the epoch). */
  created: number;
  used: number;
}

const FINGERPRINT = /^[0-9a-f]{64}$/;

/**
 * The content-addressed stage cache every run directory shares: one verified checkpoint per
 * stage fingerprint under `ROOT/stages/FP[0:2]/FP`. Entries are written once (complete in
 * `ROOT/tmp`, then renamed into place; a second writer's rename loses and its copy is dropped),
 * verified on every read (a corrupt entry is removed and reads as missing), and their directory's
 * mtime is when a run last used them. Safe for processes on several machines over a shared
 * filesystem whose rename is atomic (local disks, NFS v3+).
 */
export class StageCache {
  constructor(readonly root: string) {}

  /** Directory of the entry for `fingerprint`. */
  entryDir(fingerprint: string): string {
    return join(this.root, 'stages', fingerprint.slice(0, 2), fingerprint);
  }

  /** The verified checkpoint for `fingerprint`, or undefined (missing, or corrupt and removed). */
  get(fingerprint: string): Checkpoint | undefined {
    const dir = this.entryDir(fingerprint);
    if (!existsSync(dir)) return undefined;
    let checkpoint: Checkpoint;
    try {
      checkpoint = readCheckpoint(dir);
      if (checkpoint.manifest.fingerprint !== fingerprint) throw new Error('fingerprint differs from its key');
    } catch {
      this.discard(dir);
      return undefined;
    }
    try {
      const now = new Date();
      utimesSync(dir, now, now);
    } catch {
      // A read-only cache still serves hits; `prune` then goes by creation time.
    }
    return checkpoint;
  }

  /** Stores a stage checkpoint unless one is there already; false when the cache cannot be written. */
  put(fingerprint: string, files: Map<string, Uint8Array>): boolean {
    const dir = this.entryDir(fingerprint);
    if (existsSync(dir)) return true;
    const tmp = join(this.root, 'tmp', `${fingerprint}.${hostname()}.${process.pid}.${Math.random().toString(36).slice(2)}`);
    try {
      mkdirSync(join(this.root, 'tmp'), { recursive: true });
      writeCheckpoint(tmp, fingerprint, files);
      mkdirSync(join(this.root, 'stages', fingerprint.slice(0, 2)), { recursive: true });
      renameSync(tmp, dir);
      return true;
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      // Another process stored the same stage first: its entry has the same content.
      return code === 'ENOTEMPTY' || code === 'EEXIST';
    }
  }

  /**
   * Waits until no other process is computing `fingerprint`, then claims it: the caller computes
   * the stage (or, finding it cached by then, uses that) and releases the claim.
   */
  claim(fingerprint: string, signal?: AbortSignal): Promise<StageClaim> {
    return StageClaim.acquire(join(this.root, 'claims', `${fingerprint}.claim`), signal);
  }

  /** Every entry, oldest use first. */
  list(): CacheEntry[] {
    const base = join(this.root, 'stages');
    const entries: CacheEntry[] = [];
    for (const prefix of safeList(base)) {
      for (const fingerprint of safeList(join(base, prefix))) {
        if (FINGERPRINT.test(fingerprint)) entries.push(describeEntry(fingerprint, join(base, prefix, fingerprint)));
      }
    }
    return entries.sort((a, b) => a.used - b.used);
  }

  /** Removes entries not used for `olderThanMs`, and writes abandoned over a day ago; returns those removed. */
  prune(olderThanMs: number, now = Date.now()): CacheEntry[] {
    const removed = this.list().filter((e) => now - e.used > olderThanMs);
    for (const entry of removed) this.discard(entry.dir);
    for (const name of safeList(join(this.root, 'tmp'))) {
      const path = join(this.root, 'tmp', name);
      if (now - statSync(path).mtimeMs > 86_400_000) rmSync(path, { recursive: true, force: true });
    }
    return removed;
  }

  /** Takes an entry out of place in one rename (readers see it or nothing), then deletes it. */
  private discard(dir: string): void {
    const trash = join(this.root, 'tmp', `trash.${process.pid}.${Math.random().toString(36).slice(2)}`);
    try {
      mkdirSync(join(this.root, 'tmp'), { recursive: true });
      renameSync(dir, trash);
      rmSync(trash, { recursive: true, force: true });
    } catch {
      // Already removed by another process.
    }
  }
}

function describeEntry(fingerprint: string, dir: string): CacheEntry {
  const stat = statSync(dir);
  let bytes = 0;
  let stage: string | undefined;
  let type: string | undefined;
  try {
    const manifest = JSON.parse(readFileText(join(dir, 'manifest.json'))) as { files: Record<string, { bytes: number }> };
    bytes = Object.values(manifest.files).reduce((sum, f) => sum + f.bytes, 0);
    const record = JSON.parse(readFileText(join(dir, 'record.json'))) as { stage?: string; type?: string };
    stage = record.stage;
    type = record.type;
  } catch {
    // Listed anyway: a read verifies it and removes it if corrupt.
  }
  return { fingerprint, dir, stage, type, bytes, created: stat.birthtimeMs || stat.ctimeMs, used: stat.mtimeMs };
}

const readFileText = (file: string) => readFileSync(file, 'utf8');

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
