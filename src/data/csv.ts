import { blankLine, fieldCount, fieldText, parseNumber, readRecord, skipLine } from './csv-parse.js';
import type { CsvRecord } from './csv-parse.js';
import type { CsvDataSpec } from '../recipe/types.js';
import { bomLength, dataError, readDataFile } from './files.js';
import { labelsFor } from './labels.js';
import type { RawLabels } from './labels.js';
import type { DatasetDefinition } from './registry.js';
import { loadedFrom } from './registry.js';
import { splitExamples } from './split.js';
import type { DataTask, Examples } from './types.js';

/** Fields of `dataset: csv`, as the schema (built from `properties` below) gives them. */
export type CsvSpec = CsvDataSpec;

/** One CSV file read: the feature matrix, the raw labels, the feature columns. */
interface CsvTable {
  x: Float32Array;
  labels: RawLabels;
  features: string[];
}

/** Which column of the header feeds which feature, and where the label is. */
interface Columns {
  label: number;
  /** featureOf[column] = feature index, or −1 for a column not used. */
  featureOf: Int32Array;
  features: string[];
}

/** Reads a CSV file with a header row: `label` the label column, `features` the feature columns (default all others). */
export function readCsv(file: string, label: string, features?: string[]): CsvTable {
  const bytes = readDataFile(file, 'the CSV file');
  let pos = bomLength(bytes);
  let line = 1;
  while (pos < bytes.length && blankLine(bytes, pos)) { pos = skipLine(bytes, pos); line++; }
  if (pos >= bytes.length) throw dataError(file, undefined, 'the CSV file is empty (it needs a header row naming the columns)');
  const header = readRecord(bytes, pos, line, file);
  const names = Array.from({ length: fieldCount(header) }, (_, k) => fieldText(bytes, header, k));
  const columns = columnsOf(names, label, features, file, line);
  const rows: number[] = [];
  const values: string[] = [];
  let x = new Float32Array(1 << 16);
  let count = 0;
  pos = header.next;
  line += header.lineCount;
  while (pos < bytes.length) {
    if (blankLine(bytes, pos)) { pos = skipLine(bytes, pos); line++; continue; }
    const record = readRecord(bytes, pos, line, file);
    if (fieldCount(record) !== names.length) {
      throw dataError(file, line, `${fieldCount(record)} values, but the header has ${names.length} columns`, 'every row needs one value per header column');
    }
    if ((count + 1) * columns.features.length > x.length) x = grow(x);
    readRow(bytes, record, columns, names, x.subarray(count * columns.features.length), file);
    values.push(fieldText(bytes, record, columns.label));
    if (!values[count]) throw dataError(file, line, `empty label in column "${names[columns.label]}"`);
    rows.push(line);
    count++;
    pos = record.next;
    line += record.lineCount;
  }
  if (!count) throw dataError(file, undefined, 'the CSV file has a header but no rows');
  return { x: x.slice(0, count * columns.features.length), labels: { file, values, lines: rows }, features: columns.features };
}

function grow(x: Float32Array<ArrayBuffer>): Float32Array<ArrayBuffer> {
  const bigger = new Float32Array(x.length * 2);
  bigger.set(x);
  return bigger;
}

function columnsOf(names: string[], label: string, features: string[] | undefined, file: string, line: number): Columns {
  const index = new Map<string, number>();
  names.forEach((n, k) => {
    if (index.has(n)) throw dataError(file, line, `column "${n}" appears twice in the header`);
    index.set(n, k);
  });
  const labelColumn = index.get(label);
  if (labelColumn === undefined) {
    throw dataError(file, line, `no label column "${label}" in the header (${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''})`,
      'a header row is required; set data.label to the column holding the class');
  }
  const used = features ?? names.filter((_, k) => k !== labelColumn);
  const featureOf = new Int32Array(names.length).fill(-1);
  used.forEach((name, f) => {
    const k = index.get(name);
    if (k === undefined) throw dataError(file, line, `no feature column "${name}" in the header`);
    if (k === labelColumn) throw dataError(file, line, `column "${name}" is the label; it cannot also be a feature`);
    featureOf[k] = f;
  });
  if (!used.length) throw dataError(file, line, 'no feature columns (the header has only the label)');
  return { label: labelColumn, featureOf, features: used };
}

/** Parses one row's feature values into `out`; a non-number is an error at the row's line. */
function readRow(bytes: Uint8Array, record: CsvRecord, columns: Columns, names: string[], out: Float32Array, file: string): void {
  const { featureOf } = columns;
  for (let k = 0; k < featureOf.length; k++) {
    const f = featureOf[k]!;
    if (f < 0) continue;
    const value = record.quoted ? quotedNumber(record.quoted[k]!) : parseNumber(bytes, record.starts[k]!, record.ends[k]!);
    if (Number.isNaN(value)) {
      const text = fieldText(bytes, record, k);
      throw dataError(file, record.line, text ? `column "${names[k]}": ${JSON.stringify(text.slice(0, 40))} is not a number` : `empty value in column "${names[k]}"`,
        'feature columns hold numbers; list the columns to use in data.features');
    }
    out[f] = value;
  }
}

function quotedNumber(text: string): number {
  const value = text.trim() ? Number(text) : NaN;
  return Number.isFinite(value) ? value : NaN;
}

/** Examples of CSV tables sharing one label encoding: class indices, or numbers for regression. */
export function csvExamples(tables: CsvTable[], task: DataTask = 'classification'): Examples[] {
  const labels = labelsFor(tables.map((t) => t.labels), task);
  return tables.map((t, i) => ({
    x: t.x, y: labels.y[i]!, count: labels.y[i]!.length, featureSize: t.features.length, inputShape: [t.features.length],
    numClasses: labels.numClasses, ...(labels.classes ? { classes: labels.classes } : {}),
  }));
}

/** `dataset: csv`: one example per row, numeric feature columns, a label column. */
export const csvDataset: DatasetDefinition<CsvSpec> = {
  name: 'csv',
  description: 'A CSV file with a header row: one example per row, numeric feature columns and a label column '
    + '(integers 0…K−1, or strings: classes sorted; numbers for task: regression). Examples are [features].',
  properties: {
    path: { type: 'string', minLength: 1, description: 'The CSV file, relative to the recipe.' },
    testPath: { type: 'string', minLength: 1, description: 'A CSV file (same columns) held out for evaluation instead of testFraction of path.' },
    label: { type: 'string', minLength: 1, default: 'label', description: 'The label column (default "label"); with task: regression, the numeric target.' },
    features: {
      type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, uniqueItems: true,
      description: 'The feature columns, in this order (default: every column but the label, in file order).',
    },
  },
  required: ['path'],
  version: 1,
  load(spec, ctx) {
    const train = readCsv(ctx.resolve(spec.path), spec.label, spec.features);
    const tables = spec.testPath ? [train, readCsv(ctx.resolve(spec.testPath), spec.label, train.features)] : [train];
    const [trainEx, testEx] = csvExamples(tables, ctx.task);
    return loadedFrom(trainEx!, splitExamples(trainEx!, testEx, { seed: ctx.seed, testFraction: spec.testFraction, limit: spec.limit }));
  },
};
