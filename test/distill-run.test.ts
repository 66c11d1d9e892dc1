import { readFileSync } from 'node:fs';
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
});
