import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from './helpers.js';
import { requireSystemDep, ROOT, runCliAsync, tempDir } from './helpers.js';

/** What native/build.mjs recorded for this checkout, or undefined when it never ran. */
function nativeBuildStatus(): { ok?: boolean; blas?: string; reason?: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'build/native-status.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

interface DoctorJson {
  backends: Array<{ name: string; loads: boolean; version?: string; reason?: string; matmulGflops?: number }>;
}

const built = nativeBuildStatus();
let text: CliResult;
let json: DoctorJson;

beforeAll(async () => {
  const [asText, asJson] = await Promise.all([runCliAsync(['doctor']), runCliAsync(['doctor', '--json'])]);
  text = asText;
  json = JSON.parse(asJson.stdout);
});

describe('condense doctor', () => {
  it('exits 0, lists every backend in auto order with wasm and cpu measured, and auto picks the first that loads', () => {
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/✓ wasm\s+\d+\.\d+ GFLOP\/s/);
    expect(text.stdout).toMatch(/✓ cpu\s+\d+\.\d+ GFLOP\/s/);
    expect(json.backends.map((b) => b.name)).toEqual(['tensorflow', 'native', 'wasm', 'cpu']);
    for (const name of ['wasm', 'cpu']) {
      const b = json.backends.find((x) => x.name === name)!;
      expect(b.loads).toBe(true);
      expect(b.matmulGflops).toBeGreaterThan(0);
    }
    for (const b of json.backends.filter((x) => !x.loads)) expect(b.reason).toBeTruthy();
    const first = json.backends.find((b) => b.loads)!.name;
    expect(text.stdout).toContain(`auto would pick: ${first}\n`);
  });

  it('native loads, with the BLAS its build recorded, when the addon is built (always under CI)', (ctx) => {
    requireSystemDep(ctx, 'native addon', built?.ok === true, `node native/build.mjs${built?.reason ? `; last build: ${built.reason}` : ''}`);
    expect(text.stdout).toMatch(new RegExp(`✓ native\\s+\\d+\\.\\d+ GFLOP/s  \\(\\S+ \\(${built!.blas!.replace(/[.()]/g, '\\$&')}\\)\\)`));
    const native = json.backends.find((b) => b.name === 'native')!;
    expect(native.loads).toBe(true);
    expect(native.matmulGflops).toBeGreaterThan(0);
    expect(text.stdout).not.toMatch(/✗ native/);
  });

  it('native is linked against OpenBLAS when libopenblas-dev is installed (always under CI)', (ctx) => {
    requireSystemDep(ctx, 'OpenBLAS', /^openblas /.test(built?.blas ?? ''), 'apt-get install libopenblas-dev, then node native/build.mjs');
    expect(json.backends.find((b) => b.name === 'native')!.version).toMatch(/\(openblas \d+\.\d+\.\d+\)$/);
  });

  it('a missing addon shows why it does not load: the build failure it recorded, else how to build it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'status.json'), JSON.stringify({ ok: false, reason: 'cblas.h: No such file' }));
    const addon = join(dir, 'absent.node');
    const [failed, neverRun] = await Promise.all([
      runCliAsync(['doctor'], { env: { CONDENSE_NATIVE_ADDON: addon, CONDENSE_NATIVE_STATUS: join(dir, 'status.json') } }),
      runCliAsync(['doctor', '--json'], { env: { CONDENSE_NATIVE_ADDON: addon, CONDENSE_NATIVE_STATUS: join(dir, 'none.json') } }),
    ]);
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.stdout).toContain(`✗ native     does not load: native addon missing at ${addon}: cblas.h: No such file\n`);
    expect(failed.stdout).not.toContain('auto would pick: native');
    const never = JSON.parse(neverRun.stdout) as DoctorJson;
    expect(never.backends.find((b) => b.name === 'native')).toEqual({
      name: 'native', loads: false,
      reason: `native addon missing at ${addon}: it was not built (run \`node native/build.mjs\`; needs a C compiler, python3 and make)`,
    });
  });
});
