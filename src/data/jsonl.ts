import { UsageError } from '../errors.js';
import { bomLength, dataError, readDataFile } from './files.js';
import type { JsonlDataSpec } from '../recipe/types.js';
import { labelsFor } from './labels.js';
import type { RawLabels } from './labels.js';
import type { DatasetDefinition, LoadedData } from './registry.js';
import { loadedFrom } from './registry.js';
import { fileSplitRows, splitExamples, splitRows, takeTargets } from './split.js';
import type { SplitOptions, SplitRows } from './split.js';
import { TEXT_PROPERTIES, encodeTexts } from './spam-assassin.js';
import type { DataTask, Examples, Split, Targets } from './types.js';

/** Fields of `dataset: jsonl`, as the schema (built from `properties` below) gives them. */
export type JsonlSpec = JsonlDataSpec;

/** The records of a JSON Lines file: each one's label, its input (numbers or text) and its line. */
interface JsonlRecords {
  labels: RawLabels;
  inputs: Array<number[] | string>;
}

/**
 * Reads a JSON Lines file: one object per non-blank line with `label` (a class, or for
 * `task: regression` a number) and the `field` (an array of numbers, or a string when `text`).
 */
export function readJsonl(file: string, label: string, field: string, text: boolean, task: DataTask = 'classification'): JsonlRecords {
  const bytes = readDataFile(file, 'the JSONL file');
  const lines = bytes.subarray(bomLength(bytes)).toString('utf8').split('\n');
  const values: string[] = [];
  const lineOf: number[] = [];
  const inputs: Array<number[] | string> = [];
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.trim()) return;
    const at = i + 1;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (err) {
      // The parser ran out of text (the record is cut off) rather than meeting a wrong character.
      const position = /at position (\d+)/.exec(String(err))?.[1];
      const incomplete = /end of JSON input|Unterminated/.test(String(err)) || Number(position) >= line.trimEnd().length;
      throw dataError(file, at, `${incomplete ? 'incomplete' : 'invalid'} JSON (${err instanceof Error ? err.message : String(err)})`, 'each line holds one JSON object');
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) throw dataError(file, at, 'not a JSON object', 'each line holds one object, e.g. {"x": [0.1, 0.2], "label": 1}');
    const fields = record as Record<string, unknown>;
    values.push(task === 'regression' ? targetText(fields[label], label, file, at) : labelText(fields[label], label, file, at));
    inputs.push(text ? textField(fields[field], field, file, at) : numbersField(fields[field], field, file, at));
    lineOf.push(at);
  });
  if (!inputs.length) throw dataError(file, undefined, 'the JSONL file has no records');
  return { labels: { file, values, lines: lineOf }, inputs };
}

function labelText(value: unknown, label: string, file: string, line: number): string {
  if (typeof value === 'string' && value) return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value);
  const got = value === undefined ? 'missing' : JSON.stringify(value);
  throw dataError(file, line, `label "${label}" is ${got}: it must be a class index (an integer ≥ 0) or a class name (a non-empty string)`);
}

/** A regression target as text (String of a number reads back as the same number). */
function targetText(value: unknown, label: string, file: string, line: number): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  const got = value === undefined ? 'missing' : JSON.stringify(value).slice(0, 40);
  throw dataError(file, line, `target "${label}" is ${got}: with task: regression it must be a number`);
}

function textField(value: unknown, field: string, file: string, line: number): string {
  if (typeof value === 'string') return value;
  throw dataError(file, line, `"${field}" is ${value === undefined ? 'missing' : JSON.stringify(value).slice(0, 40)}: it must be a string`);
}

function numbersField(value: unknown, field: string, file: string, line: number): number[] {
  const bad = !Array.isArray(value) ? -1 : value.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (!Array.isArray(value) || bad >= 0) {
    const what = !Array.isArray(value) ? (value === undefined ? 'missing' : JSON.stringify(value).slice(0, 40)) : `${JSON.stringify(value[bad])} at index ${bad}`;
    throw dataError(file, line, `"${field}" is ${what}: it must be an array of numbers`, 'set data.input to the field holding the features, or data.text for a string field');
  }
  return value as number[];
}

/** Numeric records as examples of one feature size (the first record's). */
function numericExamples(records: JsonlRecords, file: string, featureSize: number | undefined, y: Targets, numClasses: number): Examples {
  const size = featureSize ?? (records.inputs[0] as number[]).length;
  const x = new Float32Array(records.inputs.length * size);
  records.inputs.forEach((v, r) => {
    const values = v as number[];
    if (values.length !== size) throw dataError(file, records.labels.lines[r], `${values.length} values, but the first record has ${size}`);
    x.set(values, r * size);
  });
  return { x, y, count: y.length, featureSize: size, inputShape: [size], numClasses };
}

/** Text records: split first, vocabulary from the training texts only, then encoded as token ids. */
function textData(parts: JsonlRecords[], y: Targets[], numClasses: number, spec: JsonlSpec, options: SplitOptions): LoadedData {
  const [train, test] = parts;
  const rows: SplitRows = test ? fileSplitRows(train!.inputs.length, test.inputs.length, options) : splitRows(train!.inputs.length, options);
  const testSource = test ?? train!;
  const testY = test ? y[1]! : y[0]!;
  const texts = (records: JsonlRecords, r: Int32Array) => Array.from(r, (i) => records.inputs[i] as string);
  const encoded = encodeTexts(texts(train!, rows.train), texts(testSource, rows.test), spec);
  const split = (x: Float32Array, labels: Targets, r: Int32Array): Split => ({ x, y: takeTargets(labels, r), count: r.length });
  return {
    train: split(encoded.train, y[0]!, rows.train),
    test: split(encoded.test, testY, rows.test),
    inputShape: [spec.maxLength], numClasses, vocabulary: encoded.vocabulary, vocabSize: spec.vocabSize,
  };
}

/** `dataset: jsonl`: JSON Lines records with a label and a numeric array or a text field. */
export const jsonlDataset: DatasetDefinition<JsonlSpec> = {
  name: 'jsonl',
  description: 'A JSON Lines file, one object per line with a label and either a numeric array (`input`, examples [length]) '
    + 'or a string (`text`, tokenized as spam-assassin does: examples [maxLength] of token ids).',
  properties: {
    path: { type: 'string', minLength: 1, description: 'The JSONL file, relative to the recipe.' },
    testPath: { type: 'string', minLength: 1, description: 'A JSONL file held out for evaluation instead of testFraction of path.' },
    label: { type: 'string', minLength: 1, default: 'label', description: 'The label field: integers 0…K−1 or class names (sorted); a number for task: regression (default "label").' },
    input: { type: 'string', minLength: 1, description: 'The numeric array field (default "x" when text is not given).' },
    text: { type: 'string', minLength: 1, description: 'A string field to tokenize instead of input; the vocabulary comes from the training split only and is written as vocab.json.' },
    ...TEXT_PROPERTIES,
    tokenizer: { enum: ['words', 'chars'], default: 'words', description: 'With text: words (lowercased alphanumeric runs) or chars (one token per character) (default words).' },
  },
  required: ['path'],
  version: 1,
  load(spec, ctx) {
    if (spec.text !== undefined && spec.input !== undefined) {
      throw new UsageError('data: give either input (a numeric array field) or text (a string field), not both');
    }
    const text = spec.text !== undefined;
    const field = spec.text ?? spec.input ?? 'x';
    const files = [spec.path, ...(spec.testPath ? [spec.testPath] : [])].map((p) => ctx.resolve(p));
    const parts = files.map((f) => readJsonl(f, spec.label, field, text, ctx.task));
    const labels = labelsFor(parts.map((p) => p.labels), ctx.task);
    const options = { seed: ctx.seed, testFraction: spec.testFraction, limit: spec.limit };
    const classes = labels.classes ? { classes: labels.classes } : {};
    if (text) return { ...textData(parts, labels.y, labels.numClasses, spec, options), ...classes };
    const train = numericExamples(parts[0]!, files[0]!, undefined, labels.y[0]!, labels.numClasses);
    const test = parts[1] ? numericExamples(parts[1], files[1]!, train.featureSize, labels.y[1]!, labels.numClasses) : undefined;
    return { ...loadedFrom(train, splitExamples(train, test, options)), ...classes };
  },
};
