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
  }, 60_000);
});
