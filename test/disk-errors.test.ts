import { execSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeCheckpoint } from '../src/store/checkpoint.js';
import { ROOT, runCli, tempDir } from './helpers.js';

const recipe = join(ROOT, 'test/fixtures/recipes/resume.yaml');
const mounts: string[] = [];

/** A small tmpfs (root only); undefined where mounting is not allowed. */
function smallDisk(kib: number): string | undefined {
  const dir = join(tempDir(), 'disk');
  mkdirSync(dir);
  try {
    execSync(`mount -t tmpfs -o size=${kib}k tmpfs ${dir}`, { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  mounts.push(dir);
  return dir;
}

/** Writes zeros until the device is full. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = new Uint8Array(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full.
  } finally {
    closeSync(fd);
  }
}

let canMount = false;
beforeAll(() => {
  const probe = smallDisk(64);
  canMount = probe !== undefined;
});
afterAll(() => {
  for (const m of mounts) execSync(`umount ${m}`, { stdio: 'ignore' });
});

describe('a full or read-only disk', () => {
  it('ENOSPC: exits 1 naming the checkpoint it could not write; earlier checkpoints stay valid', async (ctx) => {
    if (!canMount) ctx.skip();
    const disk = smallDisk(8192)!;
    const out = join(disk, 'run');
    // Fill the disk as soon as the first stage's checkpoint is written: the next write fails.
    const child = spawn(process.execPath, [join(ROOT, 'bin/condense.mjs'), 'run', recipe, '--out', out, '--json', '--backend', 'wasm'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let filled = false;
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      if (!filled && c.toString().includes('"event":"stage-end"')) {
        filled = true;
        fillDisk(join(disk, 'filler'));
      }
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(filled).toBe(true);
    expect(code).toBe(1);
    expect(stderr).toMatch(/condense: cannot write (an epoch checkpoint|the checkpoint) of stage "\w+": no space left on the device \(ENOSPC\); earlier checkpoints are intact/);
    expect(stderr).not.toMatch(/\n\s+at /);
    const stages = readdirSync(join(out, 'stages')).filter((n) => /^\d\d-[a-z]+$/.test(n));
    expect(stages).toContain('01-baseline');
    for (const s of stages) expect(probeCheckpoint(join(out, 'stages', s)).kind).toBe('valid');
    expect(readdirSync(join(out, 'stages')).some((n) => n.includes('.tmp-'))).toBe(false);
  });

  it('EROFS: a read-only run directory is a clear error, not a stack trace', (ctx) => {
    if (!canMount) ctx.skip();
    const disk = smallDisk(4096)!;
    const out = join(disk, 'run');
    expect(runCli(['run', recipe, '--out', out, '--backend', 'wasm']).code).toBe(0);
    execSync(`mount -o remount,ro ${disk}`);
    const r = runCli(['run', recipe, '--out', out, '--backend', 'wasm', '--set', 'stages.finetune.epochs=1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the file system is read-only (EROFS)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
