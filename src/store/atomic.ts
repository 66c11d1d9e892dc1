import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Crash-test hook: with CONDENSE_TEST_KILL_DURING_WRITE=N the process SIGKILLs itself after the
 * first file of its N-th directory write, the worst moment for a checkpoint. Tests only.
 */
const KILL_DURING_WRITE = Number(process.env.CONDENSE_TEST_KILL_DURING_WRITE ?? 0);
let directoryWrites = 0;

/** Writes a file and fsyncs it before returning. */
function writeFileDurable(file: string, bytes: Uint8Array | string): void {
  const fd = openSync(file, 'w');
  try {
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs a directory, so a rename inside it survives a power loss. */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A temp name beside `finalPath`: `.NAME.tmp-PID-RANDOM`. */
function tempPathFor(finalPath: string): string {
  const rand = Math.floor(Math.random() * 0x7fffffff).toString(36);
  return join(dirname(finalPath), `.${basename(finalPath)}.tmp-${process.pid}-${rand}`);
}

/** Writes a file atomically: temp file beside it, fsync, rename, fsync of the directory. */
export function writeFileAtomic(file: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  writeFileDurable(tmp, bytes);
  renameSync(tmp, file);
  fsyncDir(dirname(file));
}

/** How a directory write is made to last. */
export interface DirWriteOptions {
  /**
   * fsync every file and directory before and after the rename (default true). Without it the
   * rename is still atomic and a killed process loses nothing (the page cache outlives it); only
   * a power loss may leave files that fail their checksums, which checkpoint readers then skip.
   */
  durable?: boolean;
}

/**
 * Writes a directory atomically: every file into a temp directory beside it (fsynced), then the
 * temp directory renamed into place, replacing any previous one, and the parent fsynced.
 * `files` maps relative paths (may contain `/`) to bytes, written in the map's order.
 */
export function writeDirAtomic(finalDir: string, files: Map<string, Uint8Array | string>, options: DirWriteOptions = {}): void {
  const durable = options.durable ?? true;
  directoryWrites++;
  const parent = dirname(finalDir);
  mkdirSync(parent, { recursive: true });
  const tmp = tempPathFor(finalDir);
  try {
    writeTree(tmp, files, durable);
  } catch (err) {
    // A failed write (full disk) must not leave its partial copy taking the space.
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  let old: string | undefined;
  try {
    old = `${tmp}.old`;
    renameSync(finalDir, old);
  } catch {
    old = undefined;
  }
  renameSync(tmp, finalDir);
  if (durable) fsyncDir(parent);
  if (old) rmSync(old, { recursive: true, force: true });
}

/** Removes temp files and directories (`.*.tmp-*`) that a crashed writer left in `dir`. */
export function sweepTemp(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  // A temp file of a live writer (another process, e.g. a run while `condense plan` looks) is
  // not stale: its name carries the writer's pid.
  const stale = names.filter((n) => n.startsWith('.') && n.includes('.tmp-') && !writerAlive(n));
  for (const n of stale) rmSync(join(dir, n), { recursive: true, force: true });
  return stale;
}

function writerAlive(tempName: string): boolean {
  const pid = Number(/\.tmp-(\d+)-/.exec(tempName)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeTree(root: string, files: Map<string, Uint8Array | string>, durable: boolean): void {
  mkdirSync(root);
  const dirs = new Set<string>([root]);
  const written: string[] = [];
  for (const [rel, bytes] of files) {
    const file = join(root, rel);
    if (!dirs.has(dirname(file))) {
      mkdirSync(dirname(file), { recursive: true });
      dirs.add(dirname(file));
    }
    writeFileSync(file, bytes);
    written.push(file);
    if (directoryWrites === KILL_DURING_WRITE) process.kill(process.pid, 'SIGKILL');
  }
  // fsync after all writes rather than after each: the kernel flushes them together, which
  // measured faster here for checkpoints of many shards; durability before the rename is the same.
  if (!durable) return;
  for (const file of written) fsyncPath(file);
  for (const d of dirs) fsyncDir(d);
}

function fsyncPath(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
