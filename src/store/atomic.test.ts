import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepTemp } from './atomic.js';

describe('sweepTemp', () => {
  it('removes temp files of dead writers and of this process, and keeps a live writer\'s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'condense-sweep-'));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    await new Promise((r) => child.once('spawn', r));
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.once('exit', r));
    const names = {
      live: `.stage.tmp-${child.pid}-abc`, dead: `.stage.tmp-${dead.pid}-abc`, own: `.stage.tmp-${process.pid}-abc`, kept: 'stage',
    };
    mkdirSync(join(dir, names.live));
    writeFileSync(join(dir, names.dead), 'x');
    writeFileSync(join(dir, names.own), 'x');
    mkdirSync(join(dir, names.kept));
    try {
      expect(sweepTemp(dir).sort()).toEqual([names.dead, names.own].sort());
      expect(existsSync(join(dir, names.live))).toBe(true);
      expect(existsSync(join(dir, names.kept))).toBe(true);
    } finally {
      child.kill();
    }
  });
});
