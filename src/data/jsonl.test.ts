import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from './index.js';
import { filesIn, usageFailure } from './testing.js';
import { UNKNOWN_ID } from './spam-assassin.js';

const jsonlDir = (text: string, name = 'data.jsonl'): string => filesIn({ [name]: text }, 'condense-jsonl-');

const failure = usageFailure;

const load = (dir: string, extra: Record<string, unknown> = {}) =>
  loadDataset({ dataset: 'jsonl', path: 'data.jsonl', label: 'label', vocabSize: 50, maxLength: 4, tokenizer: 'words', testFraction: 0.25, ...extra }, 2, dir);

describe('jsonl dataset', () => {
  it('reads numeric arrays (field x by default) with integer labels; BOM, CRLF and blank lines are fine', () => {
    const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify({ x: [i, i * 2, -i], label: i % 2 }));
    const data = load(jsonlDir('\uFEFF' + lines.join('\r\n') + '\r\n\r\n'));
    expect(data).toMatchObject({ name: 'jsonl', inputShape: [3], numClasses: 2 });
    expect([data.train.count, data.test.count]).toEqual([6, 2]);
    for (const s of [data.train, data.test]) for (let r = 0; r < s.count; r++) expect([s.x[3 * r + 1], s.y[r]]).toEqual([s.x[3 * r]! * 2, s.x[3 * r]! % 2]);
  });

  it('reads a text field with string labels; the vocabulary comes from the training split only', () => {
    const records = Array.from({ length: 12 }, (_, i) => ({ body: `Hello world only${i}`, kind: i % 3 ? 'ham' : 'spam' }));
    const dir = jsonlDir(records.map((r) => JSON.stringify(r)).join('\n'));
    const data = load(dir, { text: 'body', label: 'kind' });
    expect(data).toMatchObject({ inputShape: [4], classes: ['ham', 'spam'], vocabSize: 50 });
    expect(data.vocabulary!.slice(0, 4)).toEqual(['<pad>', '<unk>', 'hello', 'world']);
    expect(data.vocabulary!.filter((t) => t.startsWith('only'))).toHaveLength(data.train.count);
    for (let r = 0; r < data.test.count; r++) expect(data.test.x[4 * r + 2]).toBe(UNKNOWN_ID);
    const chars = load(dir, { text: 'body', label: 'kind', tokenizer: 'chars', maxLength: 3 });
    expect(chars.vocabulary).toEqual(expect.arrayContaining(['H', 'e', 'l']));
  });

  it('names the file and line of invalid, incomplete and wrong records', () => {
    const dir = jsonlDir('{"x": [1, 2], "label": 0}\n{"x": [1, 2], "label": 1\n');
    const file = join(dir, 'data.jsonl');
    expect(failure(() => load(dir))).toMatch(new RegExp(`^${file}:2: incomplete JSON \\(`));
    writeFileSync(file, '{"x": [1, 2], "label": 0}\n{x: 1}\n{"x": [3], "label": 0}\n');
    expect(failure(() => load(dir))).toMatch(new RegExp(`^${file}:2: invalid JSON \\(`));
    writeFileSync(file, '{"x": [1, 2], "label": 0}\n[1, 2]\n');
    expect(failure(() => load(dir))).toBe(`${file}:2: not a JSON object`);
    writeFileSync(file, '{"x": [1, 2], "label": 0}\n{"x": [1, "a"], "label": 0}\n');
    expect(failure(() => load(dir))).toBe(`${file}:2: "x" is "a" at index 1: it must be an array of numbers`);
    writeFileSync(file, '{"x": [1, 2], "label": 0}\n\n{"x": [1], "label": 0}\n');
    expect(failure(() => load(dir))).toBe(`${file}:3: 1 values, but the first record has 2`);
    writeFileSync(file, '{"x": [1, 2], "label": 0}\n{"x": [1, 2]}\n');
    expect(failure(() => load(dir))).toBe(`${file}:2: label "label" is missing: it must be a class index (an integer ≥ 0) or a class name (a non-empty string)`);
    writeFileSync(file, '{"t": "a", "label": 0}\n{"t": 5, "label": 0}\n');
    expect(failure(() => load(dir, { text: 't' }))).toBe(`${file}:2: "t" is 5: it must be a string`);
    writeFileSync(file, '\n\n');
    expect(failure(() => load(dir))).toBe(`${file}: the JSONL file has no records`);
  });

  it('takes testPath as the held-out split', () => {
    const dir = jsonlDir(['{"x":[1],"label":"a"}', '{"x":[2],"label":"b"}', '{"x":[3],"label":"a"}'].join('\n'));
    writeFileSync(join(dir, 'test.jsonl'), '{"x":[9],"label":"b"}\n');
    const data = load(dir, { testPath: 'test.jsonl' });
    expect([data.train.count, data.test.count, Array.from(data.test.x), Array.from(data.test.y)]).toEqual([3, 1, [9], [1]]);
  });

  it('task: regression reads the label field as float32 targets, for numeric and text inputs', () => {
    const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify({ x: [i, 1], y: i / 4 - 0.5, body: `word${i % 2}` }));
    const dir = jsonlDir(lines.join('\n'));
    const regression = (extra: Record<string, unknown>) => loadDataset({
      dataset: 'jsonl', path: 'data.jsonl', label: 'y', vocabSize: 50, maxLength: 4, tokenizer: 'words', testFraction: 0.25, ...extra,
    }, 2, dir, undefined, 'regression');
    const data = regression({});
    expect(data).toMatchObject({ inputShape: [2], numClasses: 1 });
    for (const s of [data.train, data.test]) {
      expect(s.y).toBeInstanceOf(Float32Array);
      for (let r = 0; r < s.count; r++) expect(s.y[r]).toBe(s.x[2 * r]! / 4 - 0.5);
    }
    const text = regression({ text: 'body' });
    expect([text.numClasses, text.train.y.constructor, text.train.count + text.test.count]).toEqual([1, Float32Array, 8]);
    const file = join(dir, 'data.jsonl');
    writeFileSync(file, '{"x": [1], "y": 0.5}\n{"x": [2], "y": "0.7"}\n');
    expect(failure(() => regression({}))).toBe(`${file}:2: target "y" is "0.7": with task: regression it must be a number`);
  });
});
