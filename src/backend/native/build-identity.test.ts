// The native build id must tell apart builds that compute different numbers: OpenBLAS vs the
// portable GEMM, and different numeric compile flags. Rebuilds native/ into temp dirs (a few
// seconds each) and compares what the addons report.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, loadAddon, nativeBuildId, type NativeBuildInfo } from './addon.js';
import { NATIVE_AVAILABLE } from './testing.js';

interface Probe extends NativeBuildInfo {
  id: string;
  /** Whether libopenblas is mapped into the process that loaded the addon. */
  openblasMapped: boolean;
  /** Messages thrown by sgemm and conv2d with their first / second allocation failing. */
  sgemmOom?: string;
  convOom?: string;
}

const dirs: string[] = [];

/** Builds native/ (as checked out here) in a fresh dir with `env`; the built addon's path. */
function buildCopy(env: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'condense-build-id-'));
  dirs.push(dir);
  cpSync(join(PACKAGE_ROOT, 'native'), join(dir, 'native'), { recursive: true });
  cpSync(join(PACKAGE_ROOT, 'binding.gyp'), join(dir, 'binding.gyp'));
  const r = spawnSync(process.execPath, [join(dir, 'native', 'build.mjs')], {
    encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env },
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/native backend built/);
  return join(dir, 'build', 'Release', 'condense_native.node');
}

/** Loads `addon` in a child process (one process per build, so their libraries do not mix). */
function probe(addon: string): Probe {
  const code = `
    const a = require(${JSON.stringify(addon)});
    const fs = require('node:fs');
    const msg = (f) => { try { f(); return undefined; } catch (e) { return e.message; } };
    const f = (n) => new Float32Array(n);
    a._failAllocation(1);
    const sgemmOom = msg(() => a.sgemm(0, 0, 2, 2, 2, 1, f(4), 2, f(4), 2, 0, f(4), 2));
    a._failAllocation(2);
    const convOom = msg(() => a.conv2d(f(32), f(54), f(12), [1, 4, 4, 2, 2, 2, 3, 3, 3, 1, 1, 1, 1, 0, 0]));
    a._failAllocation(0);
    const openblasMapped = fs.readFileSync('/proc/self/maps', 'utf8').includes('libopenblas');
    process.stdout.write(JSON.stringify({ ...a.buildInfo(), info: a.info(), openblasMapped, sgemmOom, convOom }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);${code}`], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  const p = JSON.parse(r.stdout) as Probe & { info: { version: string; blas: string } };
  return { ...p, id: nativeBuildId({ info: () => p.info, buildInfo: () => p }) };
}

describe.skipIf(!NATIVE_AVAILABLE && process.env.CI !== 'true')('native build identity', () => {
  afterAll(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('the build id is made of every buildInfo() field', () => {
    const info = { blas: 'openblas 9.9', blasCore: 'Zen', convCore: 'im2col', flags: '-O1', compiler: 'cc 1', libc: 'libc 2' };
    const id = nativeBuildId({ info: () => ({ version: '7.7.7', blas: info.blas }), buildInfo: () => info });
    expect(id).toBe('native 7.7.7; blas=openblas 9.9 (Zen); conv=im2col; flags=-O1; cc=cc 1; libc=libc 2');
    const portable = nativeBuildId({ info: () => ({ version: '7.7.7', blas: 'portable' }), buildInfo: () => ({ ...info, blas: 'portable', blasCore: '' }) });
    expect(portable).toBe('native 7.7.7; blas=portable; conv=im2col; flags=-O1; cc=cc 1; libc=libc 2');
  });

  it('buildInfo() of the installed addon reports the BLAS it actually links', () => {
    const installed = probe(join(PACKAGE_ROOT, 'build', 'Release', 'condense_native.node'));
    const loaded = loadAddon().buildInfo();
    expect(installed.blas).toBe(loaded.blas);
    expect(installed.openblasMapped).toBe(installed.blas.startsWith('openblas '));
    expect(installed.flags).toMatch(/-ffp-contract=off/); // binding.gyp's; read from the generated makefile
    expect(installed.flags).toMatch(/-O\d/);
  });

  it('a portable rebuild and a rebuild with other flags each get a different build id', () => {
    const installed = probe(join(PACKAGE_ROOT, 'build', 'Release', 'condense_native.node'));
    const portable = probe(buildCopy({ CONDENSE_NATIVE_BLAS: 'portable', CFLAGS: '', CPPFLAGS: '' }));
    expect(portable.blas).toBe('portable');
    expect(portable.openblasMapped).toBe(false);
    // the portable GEMM allocates packing buffers: their failure is an error, also inside conv2d
    expect(portable.sgemmOom).toBe('sgemm: out of memory');
    expect(portable.convOom).toBe('conv2d: out of memory');
    if (installed.blas.startsWith('openblas ')) expect(portable.id).not.toBe(installed.id);
    const fast = probe(buildCopy({ CONDENSE_NATIVE_BLAS: 'portable', CFLAGS: '-O2 -ffast-math', CPPFLAGS: '' }));
    expect(fast.flags.split(' ')).toEqual(expect.arrayContaining(['-O2', '-ffast-math']));
    expect(fast.flags.split(' ')).not.toContain('-O3'); // $CFLAGS comes last on the command line and wins
    expect(fast.id).not.toBe(portable.id);
  }, 240_000);
});
