import { dataError } from './files.js';
import type { DataTask, Targets } from './types.js';

/** The raw labels of one file: each example's label text and the line it came from. */
export interface RawLabels {
  file: string;
  values: string[];
  lines: ArrayLike<number>;
}

/** Class indices of each file's labels, the class count and, for string labels, the class names. */
export interface ClassLabels {
  y: Int32Array[];
  numClasses: number;
  classes?: string[];
}

/** Each file's labels as the task reads them: class indices, or numeric targets (regression). */
export interface DataLabels {
  y: Targets[];
  /** Output units the labels need: the class count, 1 for regression. */
  numClasses: number;
  classes?: string[];
}

const INDEX = /^\d+$/;

/** Labels as the task reads them: {@link classLabels}, or {@link numericTargets} for regression. */
export function labelsFor(parts: RawLabels[], task: DataTask = 'classification'): DataLabels {
  return task === 'regression' ? numericTargets(parts) : classLabels(parts);
}

/**
 * Labels as the numbers to predict (`task: regression`): one output unit. A label that is not
 * a finite number is an error at its line.
 */
export function numericTargets(parts: RawLabels[]): DataLabels {
  const y = parts.map((p) => Float32Array.from(p.values, (v, i) => {
    const n = v.trim() ? Number(v) : NaN;
    if (!Number.isFinite(n)) {
      throw dataError(p.file, p.lines[i], `target ${JSON.stringify(v.slice(0, 40))} is not a number`,
        'with task: regression the label (data.label) holds the value to predict, a finite number');
    }
    return n;
  }));
  return { y, numClasses: 1 };
}

/**
 * Labels as class indices. When every label is a non-negative integer, it is the class index and
 * there are (largest + 1) classes. Otherwise labels are class names: the training file's (the
 * first) distinct names, sorted, give the indices; a name only in a later file (the test file) is
 * an error at its line.
 */
export function classLabels(parts: RawLabels[]): ClassLabels {
  if (parts.every((p) => p.values.every((v) => INDEX.test(v)))) {
    let max = 0;
    const y = parts.map((p) => Int32Array.from(p.values, (v) => {
      const n = Number(v);
      if (n > 1_000_000) throw dataError(p.file, p.lines[p.values.indexOf(v)], `label ${v} is too large to be a class index`);
      max = Math.max(max, n);
      return n;
    }));
    return { y, numClasses: Math.max(2, max + 1) };
  }
  const classes = [...new Set(parts[0]!.values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(classes.map((c, i) => [c, i] as const));
  const y = parts.map((p) => Int32Array.from(p.values, (v, i) => {
    const k = index.get(v);
    if (k === undefined) throw dataError(p.file, p.lines[i], `label ${JSON.stringify(v)} is not a class of the training data (${preview(classes)})`);
    return k;
  }));
  return { y, numClasses: Math.max(2, classes.length), classes };
}

function preview(classes: string[]): string {
  const shown = classes.slice(0, 8).map((c) => JSON.stringify(c)).join(', ');
  return classes.length > 8 ? `${shown}, … ${classes.length} in all` : shown;
}
