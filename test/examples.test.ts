import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers.js';

function runExample(file: string, args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'examples', file), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
}

describe('examples', () => {
  it('custom-stage.mjs registers the stage of the plugin noise-stage.mjs, validates a recipe with it and reports its metric', () => {
    const out = tempDir();
    const r = runExample('custom-stage.mjs', [out]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const robustness = report.stages.find((s: { type: string }) => s.type === 'noise-accuracy');
    expect(robustness.metrics.noisyAccuracy).toBeGreaterThan(0.3);
    expect(robustness.metrics.noisyAccuracy).toBeLessThanOrEqual(robustness.metrics.accuracy + 0.05);
    expect(r.stdout).toMatch(/with noise σ=0\.3: 0\.\d{4}/);
  });

  it('programmatic.mjs plans, runs and reads the report', () => {
    const out = tempDir();
    const r = runExample('programmatic.mjs', [out, '0.7']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/plan: baseline run \(no checkpoint\)/);
    expect(r.stdout).toMatch(/final: accuracy 0\.\d{4}, sparsity 0\.6\d\d/);
  });
});
