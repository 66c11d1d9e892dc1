import { describe, expect, it } from 'vitest';
import { encodeStressedWords, loadStressedWords, primaryStress, stressedWords } from './cmudict-stress.js';
import { loadDataset } from './index.js';

describe('cmudict-stress', () => {
  it('labels a word with the index of its first primary-stressed vowel', () => {
    expect(primaryStress('AH0 B AE1 N D AH0 N')).toEqual({ stress: 1, syllables: 3 });
    expect(primaryStress('AA1 R D V AA2 R K')).toEqual({ stress: 0, syllables: 2 });
    expect(primaryStress('EY2 EY2')).toBeUndefined();
    const words = stressedWords({
      ABANDON: 'AH0 B AE1 N D AH0 N', 'ABANDON(1)': 'AE1 B AH0 N D AH0 N', "AARON'S": 'EH1 R AH0 N Z',
      CAT: 'K AE1 T', ANTIDISESTABLISHMENT: 'AE2 N T AY0 D IH0 S IH0 S T AE1 B L IH0 SH M AH0 N T', AARDVARK: 'AA1 R D V AA2 R K',
    });
    // alternates, apostrophes, one syllable and more than six syllables are dropped
    expect(words).toEqual([{ word: 'abandon', stress: 1 }, { word: 'aardvark', stress: 0 }]);
  });

  it('loads 101,303 words, two thirds stressed on the first syllable', () => {
    const words = loadStressedWords();
    expect(words).toHaveLength(101303);
    const first = words.filter((w) => w.stress === 0).length / words.length;
    expect(first).toBeGreaterThan(0.67);
    expect(first).toBeLessThan(0.68);
    expect(new Set(words.map((w) => w.stress))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });

  it('encodes letters as ids in order, padded with 0, and splits with the seed', () => {
    const data = encodeStressedWords([{ word: 'ab', stress: 0 }, { word: 'ba', stress: 1 }, { word: 'abc', stress: 2 }, { word: 'cab', stress: 1 }], { seed: 1, testFraction: 0.25, maxLength: 4 });
    expect(data.inputShape).toEqual([4]);
    expect(data.numClasses).toBe(6);
    const vocab = data.vocabulary!;
    const rows = Array.from({ length: data.train.count }, (_, r) => Array.from(data.train.x.subarray(r * 4, r * 4 + 4), (id) => (id === 0 ? '' : vocab[id])).join(''));
    expect(rows.every((w) => ['ab', 'ba', 'abc', 'cab'].includes(w))).toBe(true);
    expect(data.train.x[3]).toBe(0);
  });

  it('is a registered dataset with limit and maxLength', () => {
    const data = loadDataset({ dataset: 'cmudict-stress', testFraction: 0.5, limit: 200, maxLength: 12 }, 7, '.');
    expect([data.train.count, data.test.count]).toEqual([100, 100]);
    expect(data.inputShape).toEqual([12]);
    expect(data.vocabSize).toBe(28);
  });
});
