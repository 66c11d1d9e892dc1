import { describe, expect, it } from 'vitest';
import { teacherAndStudent, teacherStudentTable } from './distillation.js';
import type { Report } from './report.js';

const stage = (name: string, type: string, metrics: Record<string, number>, teacher?: string) => ({ name, type, status: 'ran', metrics, ...(teacher ? { teacher } : {}) });

/** A run: teacher trained and evaluated, a student distilled from it, then quantized. */
function report(over: { teacher?: string; status?: Report['status'] } = {}): Report {
  return {
    status: over.status ?? 'complete',
    stages: [
      stage('teacher', 'train', { accuracy: 0.8, params: 1000 }),
      stage('teacher-eval', 'evaluate', { accuracy: 0.9, params: 1000, latencyMs: 4 }),
      stage('distill', 'distill', { accuracy: 0.85 }, 'teacher' in over ? over.teacher : 'teacher'),
      stage('quantize', 'quantize', {}),
    ],
    final: { metrics: { accuracy: 0.81, params: 250, latencyMs: 1 } },
  } as unknown as Report;
}

describe('teacher and student table', () => {
  it('measures the teacher by the evaluate right after its stage, the student as the final model', () => {
    const pair = teacherAndStudent(report())!;
    expect(pair).toMatchObject({ distill: 'distill', teacherStage: 'teacher-eval' });
    const rows = teacherStudentTable(pair).rows;
    expect(rows[0]!.at(-1)).toBe(`${((100 * 0.81) / 0.9).toFixed(1)}%`);
    expect(rows.find((r) => r[0] === 'params')!.at(-1)).toBe('0.250×');
  });

  it('is left out when the teacher is a file (no stage recorded) or the run did not complete', () => {
    expect(teacherAndStudent(report({ teacher: undefined }))).toBeUndefined();
    expect(teacherAndStudent(report({ status: 'failed' }))).toBeUndefined();
    expect(teacherAndStudent(report({ status: 'interrupted' }))).toBeUndefined();
  });
});
