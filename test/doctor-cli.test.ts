import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

describe('condense doctor', () => {
  it('exits 0 and lists wasm and cpu with measured GFLOP/s, and native with a figure or a reason', () => {
    const r = runCli(['doctor']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ wasm\s+\d+\.\d+ GFLOP\/s/);
    expect(r.stdout).toMatch(/✓ cpu\s+\d+\.\d+ GFLOP\/s/);
    expect(r.stdout).toMatch(/native\s+(\d+\.\d+ GFLOP\/s|does not load: .+)/);
    expect(r.stdout).toMatch(/auto would pick: (tensorflow|native|wasm)/);
    const json = JSON.parse(runCli(['doctor', '--json']).stdout);
    expect(JSON.stringify(json)).toContain('wasm');
  });
});
