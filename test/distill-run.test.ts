import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers.js';

const recipe = join(ROOT, 'test/fixtures/recipes/distill.yaml');
const events = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l));

describe('distill through the runner', () => {
  it('trains a smaller student from an earlier stage; a changed teacher reruns the student', () => {
    const out = tempDir();
    const first = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm']);
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const [teacher, student] = report.stages;
    expect(student.metrics.params).toBeLessThan(teacher.metrics.params / 4);
    expect(student.metrics.accuracy).toBeGreaterThan(0.6);
    expect(report.final.metrics.params).toBe(student.metrics.params);
    const changed = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm', '--set', 'stages.teacher.epochs=2']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(events(changed.stdout).filter((e) => e.event === 'stage-end').map((e) => e.status)).toEqual(['ran', 'ran', 'ran']);
    const same = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm', '--set', 'stages.teacher.epochs=2']);
    expect(events(same.stdout).filter((e) => e.event === 'stage-end').map((e) => e.status)).toEqual(['cached', 'cached', 'cached']);
  });

  it('fingerprints a teacher given as a file by its content: replacing its weights reruns the student', () => {
    const first = tempDir();
    expect(runCli(['run', recipe, '--out', first, '--json', '--backend', 'wasm']).code).toBe(0);
    const project = tempDir();
    cpSync(join(first, 'stages/01-teacher/model'), join(project, 'teacher'), { recursive: true });
    writeFileSync(join(project, 'recipe.yaml'), [
      'version: 1', 'name: file-teacher', 'seed: 5', 'data: { dataset: mnist, testFraction: 0.25, limit: 800 }',
      'model: { builtin: mlp, hidden: [8] }',
      'stages:', '  - { name: student, type: distill, teacher: ./teacher/model.json, epochs: 1, batchSize: 40 }', '',
    ].join('\n'));
    const out = join(project, 'run');
    const steps = () => {
      const plan = runCli(['plan', join(project, 'recipe.yaml'), '--out', out, '--json', '--backend', 'wasm']);
      expect(plan.code, plan.stderr).toBe(0);
      return (JSON.parse(plan.stdout) as { steps: Array<{ action: string; reason: string }> }).steps;
    };
    expect(runCli(['run', join(project, 'recipe.yaml'), '--out', out, '--json', '--backend', 'wasm']).code).toBe(0);
    expect(steps().map((s) => s.action)).toEqual(['cached']);
    // The same path, another model in it: the first run's student.
    cpSync(join(first, 'stages/02-student/model'), join(project, 'teacher'), { recursive: true, force: true });
    const after = steps();
    expect(after.map((s) => s.action)).toEqual(['run']);
    expect(after[0]!.reason).toBe('its input changed');
  });
});
