// A DistilBERT-style student through the CLI: the bert teacher of an earlier stage with every
// other block, initialised from the teacher's weights, then distilled.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExported, runCli, tempDir, useTestBackend } from './helpers.js';

const recipe = (keep: string) => [
  'version: 1', 'name: distilbert-style', 'seed: 3',
  'data: { dataset: spam-assassin, limit: 200, vocabSize: 200, maxLength: 16, testFraction: 0.25 }',
  'model: { builtin: bert, dim: 16, layers: 3, heads: 2 }', 'stages:',
  '  - { name: teacher, type: train, epochs: 1, batchSize: 32 }',
  `  - { name: student, type: distill, teacher: stage:teacher, student: { from: teacher, keepLayers: ${keep} }, epochs: 1, batchSize: 32 }`, '',
].join('\n');

beforeAll(async () => {
  await useTestBackend();
});

describe('distill.student from the teacher', () => {
  it('keeps blocks 0 and 2 of a 3-block bert teacher: block2\'s parameters gone, the student trained from the teacher\'s weights', async () => {
    const dir = tempDir('condense-keep-');
    writeFileSync(join(dir, 'recipe.yaml'), recipe('[0, 2]'));
    const out = join(dir, 'out');
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', out, '--json', '--backend', 'wasm']);
    expect(r.code, r.stderr).toBe(0);
    const { model: teacher } = await loadExported(join(out, 'stages', '01-teacher', 'model'));
    const { model: student } = await loadExported(join(out, 'stages', '02-student', 'model'));
    const block2 = teacher.layers.filter((l) => l.name.startsWith('block2_')).reduce((n, l) => n + l.countParams(), 0);
    expect(block2).toBeGreaterThan(0);
    expect(student.countParams()).toBe(teacher.countParams() - block2);
    expect(student.layers.map((l) => l.name)).toEqual(teacher.layers.map((l) => l.name).filter((n) => !n.startsWith('block2_')));
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.stages[1].metrics.params).toBe(student.countParams());
  }, 180_000);

  it('an index beyond the teacher\'s blocks fails the stage naming how many there are', () => {
    const dir = tempDir('condense-keep-');
    writeFileSync(join(dir, 'recipe.yaml'), recipe('[0, 5]'));
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'out'), '--backend', 'wasm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the teacher has 3 blocks (block1, block2, block3); there is no block 5');
  }, 180_000);
});
