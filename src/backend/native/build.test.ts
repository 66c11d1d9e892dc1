import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from './addon.js';
import { nativeBackendStatus } from './index.js';

describe('native/build.mjs never fails the install', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'condense-native-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    delete process.env.CONDENSE_NATIVE_ADDON;
    delete process.env.CONDENSE_NATIVE_STATUS;
  });

  for (const mode of ['fail', 'skip']) {
    it(`CONDENSE_NATIVE_BUILD=${mode} exits 0 and records the reason`, () => {
      const status = join(tmp(), 'status.json');
      const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'native', 'build.mjs')], {
        encoding: 'utf8',
        env: { ...process.env, CONDENSE_NATIVE_BUILD: mode, CONDENSE_NATIVE_STATUS: status },
      });
      expect(r.status).toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/native backend not built/);
      const recorded = JSON.parse(readFileSync(status, 'utf8')) as { ok: boolean; reason: string };
      expect(recorded.ok).toBe(false);
      expect(recorded.reason).toContain(`CONDENSE_NATIVE_BUILD=${mode}`);
    });
  }

  it('a missing addon is reported with the recorded build failure reason', () => {
    const d = tmp();
    writeFileSync(join(d, 'status.json'), JSON.stringify({ ok: false, reason: 'cblas.h: No such file' }));
    process.env.CONDENSE_NATIVE_ADDON = join(d, 'missing.node');
    process.env.CONDENSE_NATIVE_STATUS = join(d, 'status.json');
    const status = nativeBackendStatus();
    expect(status.available).toBe(false);
    expect(status.reason).toContain('cblas.h: No such file');
  });
});
