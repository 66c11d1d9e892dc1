import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

// The quickstart these recipes extend ends with an optional browser evaluation: what this file
// tests does not need it (test/browser-eval.test.ts does), so its runs leave it out.
process.env.CONDENSE_BROWSER = 'off';

// A recipe of its own (the quickstart, small), so the test can change a source after the run.
let dir: string;
let run: string;
beforeAll(() => {
  dir = tempDir('condense-reproduce-');
  writeFileSync(join(dir, 'recipe.yaml'), [
    'version: 1', 'name: repro', 'extends: [quickstart]', 'data: { limit: 800 }', 'gates: { accuracy: { min: 0 } }',
    'stages:', '  - name: baseline', '    epochs: 1', '  - name: finetune', '    epochs: 1', '',
  ].join('\n'));
  run = join(dir, 'run');
  const r = runCli(['run', 'recipe.yaml', '--out', run, '--backend', 'wasm', '--set', 'vars.sparsity=0.8'], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
});

describe('condense reproduce', () => {
  it('a finished run reproduces exactly: exit 0, every stage recomputed', () => {
    const r = runCli(['reproduce', run, '--out', join(dir, 'again'), '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const ended = lines.filter((e) => e.event === 'stage-end');
    expect(ended.map((e) => e.status)).toEqual(['ran', 'ran', 'ran', 'ran', 'ran']);
    expect(lines.at(-1)).toMatchObject({ event: 'reproduce', reproduced: true, sameBuild: true, differences: [] });
    // The --set of the original run is part of what was reproduced.
    expect(readFileSync(join(dir, 'again', 'recipe.resolved.yaml'), 'utf8')).toMatch(/sparsity: 0.8/);
    expect(JSON.parse(readFileSync(join(dir, 'again', 'run.lock.json'), 'utf8')).recipe.set).toEqual(['vars.sparsity=0.8']);
  });

  it('after a metric of the original report.json is edited it exits 4 naming that metric and by how much', () => {
    const file = join(run, 'report.json');
    const original = readFileSync(file, 'utf8');
    const report = JSON.parse(original);
    const prune = report.stages.find((s: { name: string }) => s.name === 'prune');
    const was = prune.metrics.accuracy as number;
    prune.metrics.accuracy = was - 0.05;
    writeFileSync(file, JSON.stringify(report, null, 2));
    try {
      const r = runCli(['reproduce', run, '--out', join(dir, 'edited')], { cwd: dir });
      expect(r.code).toBe(4);
      expect(r.stdout).toContain('not reproduced: 1 metric(s) differ');
      expect(r.stdout).toContain(`stage prune: accuracy ${was - 0.05} → ${was} (+0.05`);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('refuses when a source changed since the run, naming it, unless --force', () => {
    const file = join(dir, 'recipe.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original + '# edited\n');
    try {
      const r = runCli(['reproduce', run, '--out', join(dir, 'changed')], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot reproduce .*: the recipe's sources changed since the run: recipe\.yaml changed \(sha256 [0-9a-f]{12}… → [0-9a-f]{12}…\)/);
      expect(r.stderr).toContain('--force');
      const forced = runCli(['reproduce', run, '--out', join(dir, 'forced'), '--force'], { cwd: dir });
      expect(forced.code, forced.stderr).toBe(0);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('refuses a directory without a lock and a non-empty --out', () => {
    expect(runCli(['reproduce', dir]).stderr).toContain('has no run.lock.json');
    const r = runCli(['reproduce', run, '--out', run]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not empty');
  });
});
