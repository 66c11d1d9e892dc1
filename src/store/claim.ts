import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { alive } from './lock.js';

/** How long a claim may go without its heartbeat before others take it over (ms; CONDENSE_CLAIM_STALE_MS). */
const STALE_MS = Number(process.env.CONDENSE_CLAIM_STALE_MS ?? 30_000);
const HEARTBEAT_MS = Math.max(100, Math.floor(STALE_MS / 4));
const POLL_MS = 200;

/**
 * An exclusive claim on computing one stage, shared by every process (and machine) using the
 * cache: a file created with O_EXCL holding host and pid, its mtime refreshed as a heartbeat. A
 * claim whose holder died (same host, pid gone) or whose heartbeat stopped is taken over.
 */
export class StageClaim {
  private timer?: NodeJS.Timeout;

  private constructor(private readonly file: string) {
    this.timer = setInterval(() => {
      try {
        const now = new Date();
        utimesSync(file, now, now);
      } catch {
        // Taken over after a long stall: the stage is computed twice, which the cache tolerates.
      }
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Waits (polling) until the claim at `file` is free, then holds it. */
  static async acquire(file: string, signal?: AbortSignal): Promise<StageClaim> {
    mkdirSync(dirname(file), { recursive: true });
    for (;;) {
      signal?.throwIfAborted();
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, JSON.stringify({ host: hostname(), pid: process.pid, started: new Date().toISOString() }) + '\n');
        closeSync(fd);
        return new StageClaim(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      if (abandoned(file)) {
        rmSync(file, { force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  release(): void {
    clearInterval(this.timer);
    rmSync(this.file, { force: true });
  }
}

/** Whether a claim's holder is gone: a dead pid on this host, a stopped heartbeat, or a file cut short. */
function abandoned(file: string): boolean {
  try {
    const age = Date.now() - statSync(file).mtimeMs;
    if (age > STALE_MS) return true;
    const holder = JSON.parse(readFileSync(file, 'utf8')) as { host?: string; pid?: number };
    return holder.host === hostname() && typeof holder.pid === 'number' && holder.pid !== process.pid && !alive(holder.pid);
  } catch (err) {
    // Gone (released meanwhile): free. Unparseable and fresh: a holder still writing it.
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
