// Checked before anything runs: `validate`, `plan` and the start of `run` refuse, located in the
// recipe, a model file that cannot load, data that does not fit the model, and selector typos.
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, useTestBackend } from './helpers.js';
import { mobileNetStyle, writeModel } from './user-models.js';

let dir: string;

/** A CSV of `rows` examples with `values` pixel columns each, labels 0…9. */
function csv(values: number, rows = 40): string {
  const header = ['label', ...Array.from({ length: values }, (_, i) => `p${i}`)].join(',');
  const lines = Array.from({ length: rows }, (_, r) => [r % 10, ...Array.from({ length: values }, (_, i) => ((r * 7 + i) % 13) / 13)].join(','));
  return [header, ...lines].join('\n') + '\n';
}

function recipe(name: string, extra: string[] = [], data = 'data: { dataset: csv, path: ./data.csv }'): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, ['version: 1', `name: ${name}`, data, 'model: { path: ./model/model.json }', 'stages:',
    '  - { name: tune, type: finetune, epochs: 1, batchSize: 20 }', ...extra, ''].join('\n'));
  return file;
}

const noStack = (stderr: string) => expect(stderr).not.toMatch(/internal error|\n\s+at /);

beforeAll(async () => {
  await useTestBackend();
  dir = tempDir('condense-preflight-');
  await writeModel(mobileNetStyle(1), join(dir, 'model'));
  writeFileSync(join(dir, 'data.csv'), csv(784));
  writeFileSync(join(dir, 'short.csv'), csv(783));
});

describe('checked before anything runs', () => {
  it('a valid recipe on a user model and CSV validates (data loaded, model opened)', () => {
    const r = runCli(['validate', recipe('ok')]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('rows of 783 values for a [28, 28, 1] model: exit 2 from validate, plan and run, naming both shapes, no stage run', () => {
    const file = recipe('short', [], 'data: { dataset: csv, path: ./short.csv }');
    const out = join(dir, 'run-short');
    const started = performance.now();
    const run = runCli(['run', file, '--out', out]);
    expect((performance.now() - started) / 1000).toBeLessThan(20);
    for (const r of [runCli(['validate', file]), runCli(['plan', file, '--out', out]), run]) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/short\.yaml:4:\d+: .*\[28, 28, 1\].*\[783\]/);
      noStack(r.stderr);
    }
    expect(existsSync(join(out, 'stages/01-tune'))).toBe(false);
  });

  it('a missing model.path and a truncated weights file: exit 2 from validate, located at model.path', async () => {
    const missing = recipe('missing');
    writeFileSync(missing, readFileSync(missing, 'utf8').replace('./model/model.json', './nowhere/model.json'));
    const a = runCli(['validate', missing]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/missing\.yaml:4:16: .*nowhere\/model\.json/);
    noStack(a.stderr);

    const broken = join(dir, 'broken');
    await writeModel(mobileNetStyle(1), broken);
    truncateSync(join(broken, 'group1-shard1of1.bin'), 100);
    const file = recipe('truncated');
    writeFileSync(file, readFileSync(file, 'utf8').replace('./model/model.json', './broken/model.json'));
    const b = runCli(['validate', file]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/truncated\.yaml:4:16: .*group1-shard1of1\.bin: weights file is truncated/);
    noStack(b.stderr);
  });

  it('a selector typo (type:Conv2d) exits 2 from validate, located, with "did you mean"', () => {
    const file = recipe('typo', ['  - { name: prune, type: prune, sparsity: 0.5, include: ["type:Conv2d"] }']);
    const r = runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('typo.yaml:7:58: selector "type:Conv2d" matches no layer of the model [selector]\n  hint: did you mean "type:Conv2D"?');
  });

  it('--recipe-only checks the recipe alone', () => {
    const file = recipe('only', [], 'data: { dataset: csv, path: ./not-there.csv }');
    expect(runCli(['validate', '--recipe-only', file]).code).toBe(0);
    const full = runCli(['validate', file]);
    expect(full.code).toBe(2);
    expect(full.stderr).toMatch(/only\.yaml:3:\d+: .*not-there\.csv/);
  });
});
