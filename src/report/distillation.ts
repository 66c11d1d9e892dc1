// Teacher and student side by side, as distillation papers report them: accuracy, the student's
// share of the teacher's accuracy, and what each costs to ship and run.
import type { BrowserResult, Metrics } from '../types/records.js';
import type { Report, ReportStage } from './report.js';
import type { TextTable } from './browser-table.js';
import { formatMetric } from './format.js';

/** The stages a teacher-student table compares: where the teacher was measured, and the final student. */
export interface TeacherStudent {
  /** The distill stage. */
  distill: string;
  /** The stage whose measurements stand for the teacher (its `teacher-eval` style evaluate, else the teacher's stage). */
  teacherStage: string;
  teacher: { metrics: Metrics; browser?: BrowserResult };
  student: { metrics: Metrics; browser?: BrowserResult };
}

/**
 * The last distill stage whose teacher is an earlier stage of the run, with the teacher measured by
 * the evaluate stages right after that stage (the last of them), and the final model as the student.
 */
export function teacherAndStudent(report: Report): TeacherStudent | undefined {
  const stages = report.stages;
  const distill = [...stages].reverse().find((s) => s.type === 'distill' && s.teacher !== undefined && stages.some((t) => t.name === s.teacher));
  if (!distill || report.status !== 'complete') return undefined;
  let at = stages.findIndex((s) => s.name === distill.teacher);
  while (stages[at + 1]?.type === 'evaluate' && stages[at + 1] !== distill) at++;
  const measured: ReportStage = stages[at]!;
  return {
    distill: distill.name,
    teacherStage: measured.name,
    teacher: { metrics: measured.metrics, ...(measured.browser && !measured.browser.skipped ? { browser: measured.browser } : {}) },
    student: { metrics: report.final.metrics, ...(report.final.browser ? { browser: report.final.browser } : {}) },
  };
}

/** Median batch-1 latency of the first backend measured in a browser, with its name. */
function browserLatency(browser: BrowserResult | undefined): { backend: string; ms: number } | undefined {
  for (const [backend, result] of Object.entries(browser?.backends ?? {})) {
    const ms = result.status === 'measured' ? result.latencyMs['1'] : undefined;
    if (ms !== undefined) return { backend, ms };
  }
  return undefined;
}

/** One row per quantity: teacher, student, and student ÷ teacher (accuracy: the student's share). */
export function teacherStudentTable(pair: TeacherStudent): TextTable {
  const { teacher, student } = pair;
  const rows: string[][] = [];
  const ratio = (t: number | undefined, s: number | undefined, percent = false) => (t && s !== undefined
    ? (percent ? `${((100 * s) / t).toFixed(1)}%` : `${(s / t).toFixed(3)}×`) : '–');
  const add = (label: string, key: string) => {
    const [t, s] = [teacher.metrics[key], student.metrics[key]];
    if (t === undefined && s === undefined) return;
    rows.push([label, formatMetric(key, t), formatMetric(key, s), ratio(t, s, key === 'accuracy')]);
  };
  add('accuracy (student: share of teacher)', 'accuracy');
  for (const key of ['params', 'macs', 'brotliBytes', 'gzipBytes', 'latencyMs', 'latencyMs32']) add(key, key);
  const [tb, sb] = [browserLatency(teacher.browser), browserLatency(student.browser)];
  if (tb && sb && tb.backend === sb.backend) rows.push([`browser ${tb.backend} ms @1`, tb.ms.toFixed(2), sb.ms.toFixed(2), `${(sb.ms / tb.ms).toFixed(3)}×`]);
  return { head: ['', `teacher (${pair.teacherStage})`, 'student (final)', 'student ÷ teacher'], rows, numeric: [false, true, true, true] };
}

/** The sentence under the table. */
export function teacherStudentNote(pair: TeacherStudent): string {
  return `The teacher as measured by stage ${pair.teacherStage}, the student as the run's final model (after ${pair.distill} and the stages after it). `
    + 'latencyMs / latencyMs32: median predict time in Node at batch 1 / 32; the browser row is the median batch-1 latency there.';
}
