import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers.js';

const recipe = join(ROOT, 'test/fixtures/recipes/tiny.yaml');
const root = tempDir();
const a = join(root, 'default');
const b = join(root, 'sparse60');

beforeAll(() => {
  for (const [out, set] of [[a, []], [b, ['--set', 'stages.prune.sparsity=0.6']]] as const) {
    const r = runCli(['run', recipe, '--out', out, '--backend', 'wasm', '--json', ...set]);
    expect(r.code, r.stderr).toBe(0);
  }
});

describe('condense compare (two tiny runs, one recipe value apart)', () => {
  it('--json names exactly the differing recipe value and gives the metric differences', () => {
    const r = runCli(['compare', a, b, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.runs.map((x: { label: string }) => x.label)).toEqual(['default', 'sparse60']);
    expect(c.recipe).toEqual([{ path: 'stages.prune.sparsity', values: [0.8, 0.6] }]);
    const reports = [a, b].map((d) => JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')));
    const by = Object.fromEntries(c.metrics.map((m: { metric: string }) => [m.metric, m]));
    for (const key of ['accuracy', 'sparsity', 'nonzeroParams', 'sizeBytes', 'gzipBytes']) {
      expect(by[key].values).toEqual(reports.map((rep) => rep.final.metrics[key]));
      expect(by[key].deltas[1]).toBeCloseTo(reports[1].final.metrics[key] - reports[0].final.metrics[key], 12);
    }
    expect(by.sparsity.deltas[1]).toBeLessThan(-0.1);
    expect(by.nonzeroParams.deltas[1]).toBeGreaterThan(0);
  });

  it('prints the differing value and the changes as text, and writes a self-contained HTML page', () => {
    const html = join(root, 'compare.html');
    const r = runCli(['compare', a, b, '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/recipe values that differ:\n\s+path\s+default\s+sparse60\n\s+stages\.prune\.sparsity\s+0\.8\s+0\.6\n\nfinal metrics/);
    expect(r.stdout).toMatch(/sparsity\s+0\.\d{4}\s+0\.\d{4} \(−0\.\d{4}\)/);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<code>stages.prune.sparsity</code>');
    expect(page).toContain('Accuracy vs size');
    expect(page.match(/<circle /g)).toHaveLength(2);
    expect(page.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\/|<script/);
  });

  it('needs two run directories that condense wrote', () => {
    expect(runCli(['compare', a]).code).toBe(2);
    const missing = runCli(['compare', a, root]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('has no readable report.json');
  });
});
