/**
 * `condense doctor`: which TF.js backends load on this machine, how fast each multiplies matrices,
 * and the versions and optional dependencies that matter for that.
 */
import * as tf from '@tensorflow/tfjs';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { formatBrowserCheck, probeBrowser, type BrowserCheck } from '../browser/probe.js';
import { AUTO_ORDER, type BackendInfo, type ConcreteBackend } from './names.js';
import { blasAdvice } from './native/blas-advice.js';
import { loadAddon } from './native/index.js';
import { loadBackend, reason } from './select.js';

/** One backend's line in the report. */
export interface BackendCheck {
  name: ConcreteBackend;
  loads: boolean;
  /** Provider package version, when it loads. */
  version?: string;
  /** The exact build ({@link BackendInfo.build}), when it loads. */
  build?: string;
  /** Why it does not load (first line of the error). */
  reason?: string;
  /** Measured float32 matmul throughput (256x256x256 products for ~0.3 s), when it loads. */
  matmulGflops?: number;
  /** How to make it faster (native: install OpenBLAS when the portable GEMM is slower here). */
  hint?: string;
  /** Threads the native kernels use (`CONDENSE_THREADS`, default: the CPUs available); results do not depend on it. */
  threads?: number;
}

/** An optional dependency and whether it resolves here. */
export interface OptionalDependency {
  name: string;
  found: boolean;
  version?: string;
}

/** Everything `condense doctor` reports. */
export interface DoctorReport {
  node: string;
  /** `npm --version`, or null when npm cannot be found. */
  npm: string | null;
  platform: string;
  backends: BackendCheck[];
  optionalDependencies: OptionalDependency[];
  /** The Chromium a browser evaluation would use and the TF.js backends that load in it. */
  browser: BrowserCheck;
}

const OPTIONAL_DEPENDENCIES = ['@tensorflow/tfjs-node'];
const require = createRequire(import.meta.url);

/** Float32 GFLOP/s of repeated n x n matmuls on the current backend, timed for about `seconds`. */
export async function measureMatmulGflops(n = 256, seconds = 0.3): Promise<number> {
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  try {
    const once = () => tf.tidy(() => tf.matMul(a, b)).dataSync();
    once();
    once(); // warm-up: kernel setup, JIT
    let reps = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
      reps++;
      elapsed = (performance.now() - start) / 1000;
    } while (elapsed < seconds);
    return (2 * n * n * n * reps) / elapsed / 1e9;
  } finally {
    tf.dispose([a, b]);
  }
}

async function npmVersion(): Promise<string | null> {
  const fromAgent = /\bnpm\/(\S+)/.exec(process.env.npm_config_user_agent ?? '')?.[1];
  try {
    return await new Promise<string>((resolve, reject) => {
      execFile('npm', ['--version'], { timeout: 15_000, shell: process.platform === 'win32' }, (err, stdout) =>
        err ? reject(err) : resolve(stdout.trim()),
      );
    });
  } catch {
    return fromAgent ?? null;
  }
}

function optionalDependency(name: string): OptionalDependency {
  try {
    const version = (require(`${name}/package.json`) as { version: string }).version;
    return { name, found: true, version };
  } catch {
    return { name, found: false };
  }
}

/**
 * Tries every backend in {@link AUTO_ORDER}, measures matmul throughput on each that loads, and
 * restores the backend that was current before (if any).
 */
export async function runDoctor(): Promise<DoctorReport> {
  const previous = (() => {
    try {
      return tf.getBackend();
    } catch {
      return undefined;
    }
  })();
  const backends: BackendCheck[] = [];
  for (const name of AUTO_ORDER) {
    try {
      const info = await loadBackend(name);
      const matmulGflops = await measureMatmulGflops();
      const hint = name === 'native' ? blasAdvice(loadAddon().buildInfo()) : undefined;
      const threads = name === 'native' ? loadAddon().threads() : undefined;
      backends.push({ name, loads: true, version: info.version, build: info.build, matmulGflops, ...(hint ? { hint } : {}),
        ...(threads ? { threads } : {}) });
    } catch (err) {
      backends.push({ name, loads: false, reason: reason(err) });
    }
  }
  if (previous && tf.getBackend() !== previous) await tf.setBackend(previous);
  return {
    node: process.versions.node,
    npm: await npmVersion(),
    platform: `${process.platform}-${process.arch}`,
    backends,
    optionalDependencies: OPTIONAL_DEPENDENCIES.map(optionalDependency),
    browser: await probeBrowser(),
  };
}

/** The report as human-readable text. */
export function formatDoctor(report: DoctorReport): string {
  const lines = [`node ${report.node}, npm ${report.npm ?? 'not found'}, ${report.platform}`, '', 'backends:'];
  for (const b of report.backends) {
    lines.push(
      b.loads
        ? `  ✓ ${b.name.padEnd(10)} ${(b.matmulGflops ?? 0).toFixed(2).padStart(7)} GFLOP/s  (${b.version})`
        : `  ✗ ${b.name.padEnd(10)} does not load: ${b.reason}`,
    );
    // native's numbers depend on how it was built (BLAS, compile flags): say which build it is
    if (b.name === 'native' && b.build) lines.push(`    ${''.padEnd(10)} build: ${b.build}`);
    if (b.threads) lines.push(`    ${''.padEnd(10)} threads: ${b.threads} (CONDENSE_THREADS; results are the same on any count)`);
    if (b.hint) lines.push(`    ${''.padEnd(10)} faster: ${b.hint}`);
  }
  const best = report.backends.find((b) => b.loads);
  lines.push('', `auto would pick: ${best ? best.name : 'nothing (no backend loads)'}`, '', 'optional dependencies:');
  for (const d of report.optionalDependencies) {
    lines.push(`  ${d.found ? '✓' : '✗'} ${d.name}${d.found ? ` ${d.version}` : ' not installed'}`);
  }
  lines.push('', ...formatBrowserCheck(report.browser));
  return lines.join('\n');
}
