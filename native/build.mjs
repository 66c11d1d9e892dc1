// Builds the native backend addon at install time. Never fails the install: without a compiler
// or BLAS condense still runs on wasm/cpu, and `condense doctor` says why native is missing.
//
// Environment:
//   CONDENSE_NATIVE_BUILD=skip|fail   skip the build / force the failure path (for tests)
//   CONDENSE_NATIVE_BLAS=portable     do not link OpenBLAS even when it is installed
//   CONDENSE_NATIVE_STATUS=<file>     where to write the status JSON
//                                     (default build/native-status.json at the package root)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const statusPath = resolve(process.env.CONDENSE_NATIVE_STATUS || join(root, 'build', 'native-status.json'));
const addonPath = join(root, 'build', 'Release', 'condense_native.node');

function writeStatus(status) {
  try {
    mkdirSync(dirname(statusPath), { recursive: true });
    writeFileSync(statusPath, JSON.stringify({ ...status, node: process.version, at: new Date().toISOString() }, null, 2) + '\n');
  } catch {
    // the status file is a convenience; never fail the install over it
  }
}

function fail(reason, detail) {
  writeStatus({ ok: false, reason, detail: detail ? String(detail).slice(-4000) : undefined });
  console.warn(`condense: native backend not built (${reason}); the wasm/cpu backends still work`);
  process.exit(0);
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && existsSync(c));
}

/** True when a C program calling cblas_sgemm compiles and links against -lopenblas. */
function openblasUsable() {
  if (process.env.CONDENSE_NATIVE_BLAS === 'portable') return false;
  const dir = mkdtempSync(join(tmpdir(), 'condense-blas-'));
  try {
    const src = join(dir, 't.c');
    writeFileSync(src, '#include <cblas.h>\nint main(void){float a=1,b=2,c=0;' +
      'cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,1,1,1,1.f,&a,1,&b,1,0.f,&c,1);return c==2.f?0:1;}\n');
    const cc = process.env.CC || 'cc';
    const r = spawnSync(cc, [src, '-o', join(dir, 't'), '-lopenblas'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) return false;
    return spawnSync(join(dir, 't'), { timeout: 30_000 }).status === 0;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Compiler flags that can change the numbers the kernels compute: optimization level, the
 * floating-point model, the target ISA (vector width, FMA). */
const NUMERIC_FLAG = new RegExp('^-(O\\S*|ffast-math|f(no-)?(fp-contract|excess-precision|rounding-math|trapping-math|' +
  'signed-zeros|associative-math|reciprocal-math|finite-math-only|unsafe-math-optimizations|math-errno|' +
  'cx-limited-range|tree-\\S*vectorize)\\S*|m(arch|cpu|fpmath)=\\S+|m(no-)?(avx|sse|fma|f16c|mmx)\\S*|m(32|64|x32))$');

/** The group a flag belongs to; a later flag of the same group overrides an earlier one. */
function flagGroup(flag) {
  if (flag.startsWith('-O')) return 'O';
  if (/^-m(32|64|x32)$/.test(flag)) return 'm:bits';
  return flag.replace(/^-([fm])(no-)?([^=]+).*$/, '$1:$3');
}

/** Flags (one per line, continued with a backslash) of variable `name` in a gyp-generated makefile. */
function makeList(mk, name) {
  const m = new RegExp(`^${name} := \\\\\\n((?:\\t.*\\n?)*)`, 'm').exec(mk);
  if (!m) return [];
  return m[1].split('\n').map((l) => l.trim().replace(/\s*\\$/, '').replace(/^'|'$/g, '')).filter(Boolean);
}

/**
 * The numeric-affecting flags condense_native.c compiles with, in effect order: the generated
 * target makefile's CFLAGS then $CPPFLAGS $CFLAGS (make appends those last), each group's last
 * occurrence winning.
 */
function effectiveNumericFlags(mk, env = process.env) {
  const all = [...makeList(mk, 'CFLAGS_Release'), ...makeList(mk, 'CFLAGS_C_Release'),
    ...`${env.CPPFLAGS ?? ''} ${env.CFLAGS ?? ''}`.split(/\s+/).filter(Boolean)];
  const byGroup = new Map();
  for (const f of all.filter((x) => NUMERIC_FLAG.test(x))) {
    byGroup.delete(flagGroup(f));
    byGroup.set(flagGroup(f), f);
  }
  return [...byGroup.values()].join(' ');
}

function nodeGyp(nodeGypPath, args) {
  return spawnSync(process.execPath, [nodeGypPath, ...args], { cwd: root, encoding: 'utf8', timeout: 600_000, env: { ...process.env } });
}

/** clean, configure, record the flags for buildInfo(), build; the first failing step's result. */
function gyp(nodeGypPath, blas) {
  const configure = ['configure', `--condense_blas=${blas}`];
  const prefix = resolve(dirname(process.execPath), '..');
  // Use the headers shipped with this node when present, so no download is needed.
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
    configure.push(`--nodedir=${prefix}`);
  }
  for (const step of [['clean'], configure]) {
    const r = nodeGyp(nodeGypPath, step);
    if (r.status !== 0) return r;
  }
  const mk = readFileSync(join(root, 'build', 'condense_native.target.mk'), 'utf8');
  const flags = effectiveNumericFlags(mk);
  writeFileSync(join(root, 'build', 'condense_build_flags.h'),
    `/* written by native/build.mjs */\n#define CONDENSE_FLAGS ${JSON.stringify(flags)}\n`);
  return nodeGyp(nodeGypPath, ['build']);
}

/** Loads the built addon in a child process (a broken binary must not take this script down). */
function probe() {
  const code = `const a=require(${JSON.stringify(addonPath)});process.stdout.write(JSON.stringify({...a.info(),...a.buildInfo()}))`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'load failed').trim() };
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { error: `unexpected output: ${r.stdout}` };
  }
}

function main() {
  const mode = process.env.CONDENSE_NATIVE_BUILD;
  if (mode === 'skip') fail('build skipped (CONDENSE_NATIVE_BUILD=skip)');
  if (mode === 'fail') fail('build failure forced (CONDENSE_NATIVE_BUILD=fail)');
  const nodeGypPath = findNodeGyp();
  if (!nodeGypPath) fail('node-gyp not found (it ships with npm)');
  const attempts = openblasUsable() ? ['openblas', 'portable'] : ['portable'];
  let last;
  for (const blas of attempts) {
    last = gyp(nodeGypPath, blas);
    if (last.status === 0 && existsSync(addonPath)) {
      const info = probe();
      if (info.error) {
        last = { stderr: info.error };
        continue;
      }
      writeStatus({ ok: true, blas: info.blas, flags: info.flags, version: info.version, addon: addonPath });
      console.log(`condense: native backend built (${info.blas}; ${info.flags})`);
      return;
    }
  }
  const out = `${last?.stdout ?? ''}\n${last?.stderr ?? ''}${last?.error ? `\n${last.error.message}` : ''}`;
  const firstError = out.split('\n').find((l) => /error|not found|No such/i.test(l))?.trim();
  fail(`node-gyp build failed${firstError ? `: ${firstError.slice(0, 200)}` : ''}`, out);
}

try {
  main();
} catch (err) {
  fail(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
}
process.exit(0);
