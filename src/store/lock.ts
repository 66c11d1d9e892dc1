import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

/** Name of the lock file inside a run directory. */
export const LOCK_FILE = '.condense.lock';

/** A held run-directory lock; release it when the run ends. */
export interface RunLock {
  release(): void;
}

/** Whether a process with this pid runs on this machine (EPERM: it does, under another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the one-writer lock of a run directory: a file created exclusively, holding our pid.
 * A lock held by a live process is refused naming its pid; one left by a dead process is taken over.
 */
export function acquireRunLock(dir: string): RunLock {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, started: new Date().toISOString() }) + '\n');
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = NaN;
      try {
        pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid;
      } catch {
        // A lock file cut short by a crash: nobody holds it.
      }
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
        throw new UsageError(`run directory ${dir} is in use by another condense run (pid ${pid})`, {
          hint: 'wait for it to finish, or give this run another --out',
        });
      }
      rmSync(file, { force: true });
    }
  }
  throw new UsageError(`could not take the lock of ${dir}`);
}
