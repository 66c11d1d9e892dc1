import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBuiltinModel } from '../src/model/builtin.js';
import { artifactsFromFiles, modelFiles } from '../src/model/io.js';
import { checkModelFitsData } from '../src/model/fits-data.js';
import { groupBytes, parseModelJson } from '../src/model/model-json.js';
import { ModelFileError } from '../src/errors.js';
import { jsonSyntaxProblem } from '../src/util/json-syntax.js';
import type { ModelFiles } from '../src/model/io.js';
import { runCliAsync, tempDir, useTestBackend } from './helpers.js';

const SHARD = 'group1-shard1of1.bin';

interface Spec { name: string; shape: number[]; dtype: string }
interface Json { format?: string; modelTopology?: unknown; weightsManifest: Array<{ paths: string[]; weights: Spec[] }> }

/**
 * One way to break a saved model. `breakIt` returns the file (relative to the model dir) the
 * error must name, or that and a text it must also contain.
 */
interface Fault {
  name: string;
  breakIt: (dir: string) => string | [file: string, mentions: string];
  /** Also expected in stderr, besides the file. */
  says: RegExp;
}

const readJson = (dir: string): Json => JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
const writeJson = (dir: string, json: unknown) => writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
const specBytes = (s: Spec) => s.shape.reduce((a, b) => a * b, 1) * 4;

const FAULTS: Fault[] = [
  {
    name: 'a truncated weights file',
    breakIt: (dir) => {
      truncateSync(join(dir, SHARD), 1000);
      return SHARD;
    },
    says: /weights file is truncated: the weights file holds 1000 bytes/,
  },
  {
    name: 'a weights file listed in the manifest that is missing',
    breakIt: (dir) => {
      rmSync(join(dir, SHARD));
      return SHARD;
    },
    says: /cannot read a weights file listed in .*model\.json: no such file/,
  },
  {
    name: 'a manifest naming a weight the topology lacks',
    breakIt: (dir) => {
      const json = readJson(dir);
      json.weightsManifest[0]!.weights.push({ name: 'dense9/kernel', shape: [2], dtype: 'float32' });
      writeJson(dir, json);
      writeFileSync(join(dir, SHARD), Buffer.concat([readFileSync(join(dir, SHARD)), Buffer.alloc(8)]));
      return 'model.json';
    },
    says: /does not have: "dense9\/kernel"/,
  },
  {
    name: 'a manifest lacking a weight the topology needs',
    breakIt: (dir) => {
      const json = readJson(dir);
      const dropped = json.weightsManifest[0]!.weights.pop()!;
      writeJson(dir, json);
      const bytes = readFileSync(join(dir, SHARD));
      writeFileSync(join(dir, SHARD), bytes.subarray(0, bytes.length - specBytes(dropped)));
      return ['model.json', dropped.name];
    },
    says: /lacks/,
  },
  {
    name: 'a manifest whose weight shape differs from the topology',
    breakIt: (dir) => {
      const json = readJson(dir);
      const kernel = json.weightsManifest[0]!.weights.find((w) => w.name === 'dense1/kernel')!;
      kernel.shape = [...kernel.shape].reverse();
      writeJson(dir, json);
      return 'model.json';
    },
    says: /"dense1\/kernel" has shape/,
  },
  {
    name: 'a manifest with an unknown dtype',
    breakIt: (dir) => {
      const json = readJson(dir);
      json.weightsManifest[0]!.weights[0]!.dtype = 'float64';
      writeJson(dir, json);
      return 'model.json';
    },
    says: /float64/,
  },
  {
    name: 'a model.json that is not JSON',
    breakIt: (dir) => {
      // Line 3 lacks the comma line 2 needs: the parser stops at line 3, column 3.
      writeFileSync(join(dir, 'model.json'), '{\n  "format": "layers-model"\n  "modelTopology": {}\n}\n');
      return 'model.json:3:3';
    },
    says: /JSON/,
  },
  {
    name: 'a model.json without modelTopology',
    breakIt: (dir) => {
      writeJson(dir, { format: 'layers-model', weightsManifest: readJson(dir).weightsManifest });
      return 'model.json';
    },
    says: /modelTopology/,
  },
  {
    // A graph model is a model.path condense takes, but not one holding string tables; and never a layers teacher.
    name: 'a graph model with a string weight',
    breakIt: (dir) => {
      writeFileSync(join(dir, 'w.bin'), Buffer.from([1, 0, 0, 0, 97]));
      writeJson(dir, { format: 'graph-model', modelTopology: { node: [{ name: 'x', op: 'Placeholder' }], versions: {} },
        weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'table', shape: [1], dtype: 'string' }] }] });
      return 'model.json';
    },
    says: /graph model/,
  },
];

let saved: ModelFiles;
/** A small CSV of MNIST's shape (784 features, labels 0…9): what the data is does not matter here, and it loads in a fraction of the time MNIST takes in every run. */
let dataCsv: string;

beforeAll(async () => {
  await useTestBackend();
  saved = await modelFiles(buildBuiltinModel({ builtin: 'mlp', hidden: [4] }, [784], 10, 1));
  dataCsv = join(tempDir('condense-model-files-data-'), 'data.csv');
  const rows = Array.from({ length: 200 }, (_, i) => [i % 10, ...Array.from({ length: 784 }, (_, k) => ((i * 31 + k * 17) % 256) / 255)].join(','));
  writeFileSync(dataCsv, [['label', ...Array.from({ length: 784 }, (_, k) => `p${k}`)].join(','), ...rows].join('\n') + '\n');
});

/** A recipe in a fresh directory with an intact model in `m/`, broken by `fault`. */
function brokenSetup(fault: Fault, role: 'model' | 'teacher') {
  const dir = tempDir('condense-model-files-');
  const modelDir = join(dir, 'm');
  mkdirSync(modelDir);
  for (const [name, bytes] of saved) writeFileSync(join(modelDir, name), bytes);
  const [name, mentions] = [fault.breakIt(modelDir)].flat();
  const file = join(modelDir, name!);
  const stage = role === 'model'
    ? '  - { name: tune, type: finetune, epochs: 1, batchSize: 50 }'
    : '  - { name: student, type: distill, teacher: ./m/model.json, epochs: 1, batchSize: 50 }';
  const recipe = join(dir, 'recipe.yaml');
  writeFileSync(recipe, [
    'version: 1', 'name: model-files', 'seed: 3',
    `data: { dataset: csv, path: ${JSON.stringify(dataCsv)}, testFraction: 0.25 }`,
    role === 'model' ? 'model: { path: ./m/model.json }' : 'model: { builtin: mlp, hidden: [4] }',
    'stages:', stage, '',
  ].join('\n'));
  return { dir, recipe, file, mentions: mentions ?? '' };
}

function expectCleanUsageError(r: { code: number | null; stderr: string }, file: string, says: RegExp, mentions = '') {
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.stderr).not.toMatch(/^ {4}at /m);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(file);
  expect(r.stderr).toMatch(says);
  expect(r.stderr).toContain(mentions);
  expect(r.stderr).toMatch(/\n {2}hint: \S/);
}

// Each test is one CLI run in its own directory: they run concurrently, overlapping the runs' startup.
describe.concurrent('broken model files are a usage error naming the file (exit 2)', () => {
  it('the intact model runs (so each fault below is what fails)', async () => {
    const { dir, recipe } = brokenSetup({ name: 'none', breakIt: () => 'model.json', says: /./ }, 'model');
    const r = await runCliAsync(['run', recipe, '--out', join(dir, 'out'), '--backend', 'wasm']);
    expect(r.code, r.stderr).toBe(0);
  });

  for (const role of ['model', 'teacher'] as const) {
    for (const fault of FAULTS) {
      it(`${role}: ${fault.name}`, async () => {
        const { dir, recipe, file, mentions } = brokenSetup(fault, role);
        const r = await runCliAsync(['run', recipe, '--out', join(dir, 'out'), '--backend', 'wasm']);
        expectCleanUsageError(r, file, fault.says, mentions);
      });
    }
  }

});

describe('model.json checks without the CLI', () => {
  it('locates JSON syntax errors where V8 does, when V8 gives a position', () => {
    const texts = ['{"a": 1', '{"a": 1}}', '{\n  "a": [1, 2\n  "b": 3\n}', '{"a":\n\n  1,}', '[1,\n2,,3]', '{"a": "b\\x"}', '{\n"a"  1}', '{"a": "b', '["a\tb"]', '{"a": -}', '[1.]', '[1e+]', '[01]', '[1] [2]'];
    for (const text of texts) {
      let message = '';
      try {
        JSON.parse(text);
      } catch (err) {
        message = (err as Error).message;
      }
      const at = jsonSyntaxProblem(text)!;
      expect(at, text).toBeDefined();
      const position = /at position (\d+)/.exec(message)?.[1];
      if (position === undefined) continue;
      const before = text.slice(0, Number(position));
      expect([at.line, at.col], `${text}: ${message}`).toEqual([before.split('\n').length, before.length - before.lastIndexOf('\n')]);
    }
    expect(jsonSyntaxProblem(new TextDecoder().decode(saved.get('model.json')))).toBeUndefined();
    expect(jsonSyntaxProblem('{"a": tru}')).toMatchObject({ line: 1, col: 7 });
  });

  it('names every shard of a group when its files are short, blaming the last', () => {
    const json = JSON.parse(new TextDecoder().decode(saved.get('model.json')));
    const bytes = saved.get(SHARD)!;
    json.weightsManifest[0].paths = ['a.bin', 'b.bin'];
    const files = new Map<string, Uint8Array>([
      ['model.json', new TextEncoder().encode(JSON.stringify(json))],
      ['a.bin', bytes.subarray(0, 4000)],
      ['b.bin', bytes.subarray(4000, bytes.length - 4)],
    ]);
    const load = () => artifactsFromFiles((name) => files.get(name)!, 'dir/model.json');
    expect(load).toThrow(ModelFileError);
    expect(load).toThrow(`dir/b.bin: weights file is truncated: weight files dir/a.bin, dir/b.bin hold ${bytes.length - 4} bytes`);
    files.set('b.bin', bytes.subarray(4000));
    expect(artifactsFromFiles((name) => files.get(name)!, 'dir/model.json').weightSpecs).toHaveLength(json.weightsManifest[0].weights.length);
  });

  it('counts quantized weights at their stored width and wants scale and min for uint8', () => {
    const spec = { name: 'w', shape: [3, 5], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.1, min: -1 } };
    const text = (weights: unknown[]) => JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: {} }, weightsManifest: [{ paths: ['w.bin'], weights }] });
    const parsed = parseModelJson(text([spec, { ...spec, quantization: { dtype: 'float16' } }]), 'm.json');
    expect(groupBytes(parsed.weightsManifest[0]!)).toBe(15 + 30);
    expect(() => parseModelJson(text([{ ...spec, quantization: { dtype: 'uint8' } }]), 'm.json')).toThrow(/m\.json: .*"w".*needs numeric "scale" and "min"/);
    expect(() => parseModelJson(text([{ ...spec, shape: [3, -1] }]), 'm.json')).toThrow(/shape must be a list of non-negative integers/);
  });
});

describe('checkModelFitsData', () => {
  it('accepts a model for the data and names the file for one built for other data', () => {
    const data = { name: 'mnist', inputShape: [784], numClasses: 10 };
    expect(() => checkModelFitsData(buildBuiltinModel({ builtin: 'mlp', hidden: [4] }, [784], 10, 1), data, 'm/model.json')).not.toThrow();
    const otherInput = buildBuiltinModel({ builtin: 'mlp', hidden: [4] }, [10], 10, 1);
    expect(() => checkModelFitsData(otherInput, data, 'm/model.json')).toThrow('m/model.json: the model takes inputs of shape [10], but mnist examples have shape [784]');
    const otherClasses = buildBuiltinModel({ builtin: 'mlp', hidden: [4] }, [784], 3, 1);
    expect(() => checkModelFitsData(otherClasses, data, 'm/model.json')).toThrow(/outputs shape \[\?,3\], but mnist has 10 classes/);
    expect(() => checkModelFitsData(otherClasses, data, 'm/model.json')).toThrow(ModelFileError);
  });
});
