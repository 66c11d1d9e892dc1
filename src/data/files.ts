import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { UsageError } from '../errors.js';

/** A data file as messages name it: relative to the current directory when inside it. */
export function shownFile(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** A located data error: `file:line: message` (exit 2). */
export function dataError(file: string, line: number | undefined, message: string, hint?: string): UsageError {
  return new UsageError(`${shownFile(file)}${line === undefined ? '' : `:${line}`}: ${message}`, hint ? { hint } : {});
}

/** The bytes of a data file; a missing or unreadable file is a UsageError naming it. */
export function readDataFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw cannotRead(path, what, err);
  }
}

/** Throws unless `path` is a directory. */
export function requireDirectory(path: string, what: string): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw cannotRead(path, what, err);
  }
  if (!isDir) throw dataError(path, undefined, `${what} is not a folder`);
}

function cannotRead(path: string, what: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file or folder' : code === 'EISDIR' ? 'is a folder, not a file' : code ?? String(err);
  return new UsageError(`${shownFile(path)}: cannot read ${what} (${reason})`, { hint: 'data paths are relative to the recipe\'s directory' });
}

/** Offset after a UTF-8 byte-order mark, if the bytes start with one. */
export function bomLength(bytes: Uint8Array): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/**
 * Reads many small files through one reused buffer: reading tens of thousands of images with
 * readFileSync leaves as many buffers for the garbage collector, which shows as resident memory.
 * A returned view is valid until the next read.
 */
export class SmallFileReader {
  private buffer = Buffer.allocUnsafe(1 << 16);

  /** The bytes of `path` (a view into the reused buffer); errors as {@link readDataFile}. */
  read(path: string, what = 'the image'): Buffer {
    return this.buffer.subarray(0, this.load(path, what));
  }

  /** The reused buffer the last {@link load} filled. */
  get bytes(): Buffer {
    return this.buffer;
  }

  /** Reads `path` into {@link bytes} and returns its length: no view, so no garbage per file. */
  load(path: string, what = 'the image'): number {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw cannotRead(path, what, err);
    }
    try {
      let length = 0;
      for (;;) {
        if (length === this.buffer.length) {
          const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
          this.buffer.copy(bigger);
          this.buffer = bigger;
        }
        const n = readSync(fd, this.buffer, length, this.buffer.length - length, null);
        if (n === 0) return length;
        length += n;
      }
    } catch (err) {
      throw cannotRead(path, what, err);
    } finally {
      closeSync(fd);
    }
  }
}
