import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { acquireRunLock, LOCK_FILE } from './lock.js';

const root = mkdtempSync(join(tmpdir(), 'condense-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const freshDir = () => join(root, `run-${++count}`);

/** Another live process, standing in for a second condense run. */
async function otherProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child;
}
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function lockHeldBy(dir: string, pid: number): void {
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, started: new Date().toISOString() }) + '\n');
}
const lockPid = (dir: string) => (JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid;

describe('acquireRunLock', () => {
  it('creates the directory and a lock file naming this process; release removes it, twice is harmless', () => {
    const dir = freshDir();
    const lock = acquireRunLock(dir);
    expect(lockPid(dir)).toBe(process.pid);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lock.release();
    acquireRunLock(dir).release();
  });

  it('refuses a second writer while the owner lives, naming its pid, and leaves its lock alone', async () => {
    const dir = freshDir();
    const owner = await otherProcess();
    children.push(owner);
    acquireRunLock(dir).release();
    lockHeldBy(dir, owner.pid!);
    expect(() => acquireRunLock(dir)).toThrow(UsageError);
    expect(() => acquireRunLock(dir)).toThrow(`run directory ${dir} is in use by another condense run (pid ${owner.pid})`);
    expect(lockPid(dir)).toBe(owner.pid);
  });

  it('refuses a lock held by a live process of another user (pid 1), which cannot be signalled', () => {
    const dir = freshDir();
    acquireRunLock(dir).release();
    lockHeldBy(dir, 1);
    expect(() => acquireRunLock(dir)).toThrow('in use by another condense run (pid 1)');
  });

  it('takes over the lock of a dead owner', async () => {
    const dir = freshDir();
    const owner = await otherProcess();
    owner.kill('SIGKILL');
    await new Promise((resolve) => owner.once('exit', resolve));
    acquireRunLock(dir).release();
    lockHeldBy(dir, owner.pid!);
    const lock = acquireRunLock(dir);
    expect(lockPid(dir)).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock file cut short by a crash', () => {
    const dir = freshDir();
    acquireRunLock(dir).release();
    writeFileSync(join(dir, LOCK_FILE), '{"pid": 12');
    const lock = acquireRunLock(dir);
    expect(lockPid(dir)).toBe(process.pid);
    lock.release();
  });
});
