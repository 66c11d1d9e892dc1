import { describe, expect, it } from 'vitest';
import type { BrowserResult } from '../types/records.js';
import { browserFigures, browserGateProblem, browserGateValue } from './gate-paths.js';
import { negotiateEncoding } from './server.js';

const measured = (transferBytes: number, latencyMs: Record<string, number>) => ({
  status: 'measured' as const, transferBytes, decodedBytes: 900, encoding: 'br', loadMs: 12, firstMs: 3, latencyMs, p90Ms: latencyMs,
  memoryBytes: 800, agreement: 0.995, maxAbsDiff: 1e-6, examples: 200,
});
const browser: BrowserResult = {
  engine: 'Chromium 1', backends: { wasm: measured(500, { 1: 0.2, 32: 0.7 }), webgl: measured(510, { 1: 5 }), webgpu: { status: 'unavailable', reason: 'no' } },
};

describe('browser gates', () => {
  it('reads a backend figure, latency at the batch named or batch 1, and transferBytes over the backends', () => {
    expect(browserGateValue('browser.wasm.latencyMs.32', browser)).toBe(0.7);
    expect(browserGateValue('browser.wasm.latencyMs', browser)).toBe(0.2);
    expect(browserGateValue('browser.webgl.latencyMs.32', browser)).toBeUndefined();
    expect(browserGateValue('browser.webgl.agreement', browser)).toBe(0.995);
    expect(browserGateValue('browser.webgpu.loadMs', browser)).toBeUndefined();
    expect(browserGateValue('browser.transferBytes', browser)).toBe(510);
    expect(browserGateValue('browser.transferBytes', undefined)).toBeUndefined();
  });

  it('names what is wrong with a browser gate name', () => {
    for (const ok of ['browser.transferBytes', 'browser.wasm.latencyMs', 'browser.cpu.p90Ms.32', 'browser.webgl.memoryBytes']) expect(browserGateProblem(ok)).toBeUndefined();
    expect(browserGateProblem('browser.metal.loadMs')).toMatch(/no browser backend/);
    expect(browserGateProblem('browser.wasm.speed')).toMatch(/no browser figure/);
    expect(browserGateProblem('browser.wasm.loadMs.32')).toMatch(/only latencyMs and p90Ms/);
    expect(browserGateProblem('browser.wasm.latencyMs.0')).toMatch(/no batch size/);
  });

  it('lists the figures compare shows under their gate names', () => {
    expect(browserFigures(browser)).toEqual({
      'browser.transferBytes': 510, 'browser.wasm.loadMs': 12, 'browser.wasm.latencyMs.1': 0.2, 'browser.wasm.latencyMs.32': 0.7,
      'browser.webgl.loadMs': 12, 'browser.webgl.latencyMs.1': 5,
    });
  });
});

describe('content negotiation', () => {
  it('prefers br, then gzip, honouring q-values', () => {
    expect(negotiateEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(negotiateEncoding('gzip, br;q=0')).toBe('gzip');
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('deflate')).toBe('identity');
    expect(negotiateEncoding(undefined)).toBe('identity');
  });
});
