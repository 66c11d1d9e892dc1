import { describe, expect, it } from 'vitest';
import { formatDoctor, runDoctor } from './doctor.js';

describe('runDoctor', () => {
  it('lists every backend, with wasm and cpu loading at a positive GFLOP/s', async () => {
    const report = await runDoctor();
    expect(report.backends.map((b) => b.name)).toEqual(['tensorflow', 'native', 'wasm', 'cpu']);
    for (const name of ['wasm', 'cpu']) {
      const b = report.backends.find((x) => x.name === name)!;
      expect(b.loads).toBe(true);
      expect(b.matmulGflops).toBeGreaterThan(0);
    }
    for (const b of report.backends.filter((x) => !x.loads)) expect(b.reason).toBeTruthy();
    expect(report.node).toBe(process.versions.node);
    expect(report.optionalDependencies.map((d) => d.name)).toContain('@tensorflow/tfjs-node');
    const text = formatDoctor(report);
    expect(text).toMatch(/wasm\s+\d+\.\d+ GFLOP\/s/);
    expect(text).toMatch(/cpu\s+\d+\.\d+ GFLOP\/s/);
    const wasm = report.backends.find((x) => x.name === 'wasm')!;
    expect(wasm.build).toMatch(new RegExp(`^tfjs-backend-wasm ${wasm.version}; simd=(true|false); threads=\\d+$`));
    const native = report.backends.find((x) => x.name === 'native')!;
    if (native.loads) {
      // the exact build, on its own line under native's
      expect(native.build).toMatch(/^native \S+; blas=(openblas \S+ \(\S+\)|portable \((avx512|avx2|generic)\)); conv=(direct-avx512|im2col); flags=.*-O\d.*; cc=.+; libc=.+; tfjs-backend-cpu \S+$/);
      expect(text).toContain(`build: ${native.build}`);
      expect(text.split('\n').findIndex((l) => l.includes(`build: ${native.build}`)))
        .toBe(text.split('\n').findIndex((l) => /✓ native /.test(l)) + 1);
      // the thread count in effect, on the line after the build
      expect(native.threads).toBeGreaterThanOrEqual(1);
      expect(text.split('\n').findIndex((l) => l.includes(`threads: ${native.threads} (CONDENSE_THREADS`)))
        .toBe(text.split('\n').findIndex((l) => l.includes(`build: ${native.build}`)) + 1);
      // a hint to install OpenBLAS exactly when the portable GEMM runs a kernel slower than it
      const slowPortable = /blas=portable \((avx2|generic)\)/.test(native.build!);
      expect(native.hint !== undefined).toBe(slowPortable);
      if (slowPortable) expect(text).toMatch(/faster: .*libopenblas-dev.*npm rebuild condense/);
    } else {
      expect(text).not.toContain('build: native');
    }
  }, 60_000);
});
