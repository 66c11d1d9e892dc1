// The stage cache must not hand a checkpoint computed by one native build to another: OpenBLAS
// and the portable GEMM give different weights. Rebuilds native/ with the portable GEMM into a
// temp dir, then plans the same run directory with each addon.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, requireNativeAddon, requireSystemDep, runCli, tempDir } from './helpers.js';

const recipe = join(ROOT, 'test/fixtures/recipes/tiny.yaml');

function buildPortable(): string {
  const dir = tempDir('condense-portable-');
  cpSync(join(ROOT, 'native'), join(dir, 'native'), { recursive: true });
  cpSync(join(ROOT, 'binding.gyp'), join(dir, 'binding.gyp'));
  const r = spawnSync(process.execPath, [join(dir, 'native', 'build.mjs')], {
    encoding: 'utf8', timeout: 180_000, env: { ...process.env, CONDENSE_NATIVE_BLAS: 'portable' },
  });
  expect(r.status, r.stderr).toBe(0);
  return join(dir, 'build', 'Release', 'condense_native.node');
}

function plan(out: string, env: Record<string, string> = {}) {
  const r = runCli(['plan', recipe, '--out', out, '--backend', 'native', '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { backendBuild: string; steps: Array<{ action: string; reason: string }> };
}

describe('the stage cache and the backend build', () => {
  it('a rebuild with the other BLAS reruns every stage, saying why; an unchanged build keeps them all cached', (ctx) => {
    requireNativeAddon(ctx);
    requireSystemDep(ctx, 'OpenBLAS (libopenblas-dev)', existsSync('/usr/include/x86_64-linux-gnu/cblas.h') || existsSync('/usr/include/cblas.h'));
    const out = tempDir();
    const first = runCli(['run', recipe, '--out', out, '--backend', 'native', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const same = plan(out);
    expect(same.backendBuild).toMatch(/blas=openblas/);
    expect(same.steps.map((s) => s.action)).toEqual(['cached', 'cached', 'cached', 'cached', 'cached']);
    const portable = plan(out, { CONDENSE_NATIVE_ADDON: buildPortable() });
    expect(portable.backendBuild).toMatch(/blas=portable/);
    expect(portable.steps.map((s) => s.action)).toEqual(['run', 'run', 'run', 'run', 'run']);
    for (const step of portable.steps) expect(step.reason).toMatch(/^backend build changed \(blas=openblas [\d.]+[^;]* → blas=portable( \((avx512|avx2|generic)\))?\)$/);
  }, 300_000);
});
