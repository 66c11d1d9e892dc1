import { describe, expect, it } from 'vitest';
import { loadDataset } from './index.js';
import {
  PAD_ID, UNKNOWN_ID, buildVocabulary, encode, loadSpamAssassinCorpus, messageText, spamLabel, splitAndEncode, tokenize,
} from './spam-assassin.js';

const spec = { dataset: 'spam-assassin', testFraction: 0.25, limit: 400, vocabSize: 500, maxLength: 64 };

describe('spam-assassin tokenization', () => {
  it('lowercases, splits on non-alphanumerics and keeps Subject + body only', () => {
    expect(tokenize("Hello, WORLD!! it's 2002-08-22 <b>free</b>")).toEqual(['hello', 'world', 'it', 's', '2002', '08', '22', 'b', 'free', 'b']);
    const text = messageText('Received: from x.example\r\nSubject: Cheap Meds\r\nX-List: ilug\r\n\r\nBuy now\r\n');
    expect(tokenize(text)).toEqual(['cheap', 'meds', 'buy', 'now']);
    expect(spamLabel('spam-2')).toBe(1);
    expect(['easy-ham-1', 'easy-ham-2', 'hard-ham-1'].map(spamLabel)).toEqual([0, 0, 0]);
  });

  it('ranks the vocabulary by count, then token, after <pad> and <unk>', () => {
    const vocab = buildVocabulary([['b', 'a', 'c', 'c'], ['a', 'b', 'd', 'zzz']], 5, 3);
    // within maxLength 3: b×2, a×2, c×1, d×1 ('c' twice in the first message, but only once before the cut)
    expect(vocab).toEqual(['<pad>', '<unk>', 'a', 'b', 'c']);
    const ids = new Map(vocab.map((t, i) => [t, i] as const));
    expect(Array.from(encode(['a', 'nope', 'c'], ids, 5))).toEqual([2, UNKNOWN_ID, 4, PAD_ID, PAD_ID]);
    expect(Array.from(encode(['a', 'b', 'c', 'a'], ids, 2))).toEqual([2, 3]);
  });

  it('builds the vocabulary from the training split only: a token only in test messages is unknown', () => {
    // Every message carries a marker token of its own (4th token): the training messages' markers
    // are in the vocabulary, the test messages' are not.
    const messages = Array.from({ length: 30 }, (_, i) => ({ text: `common words m${i % 3} only${i}`, label: i % 2 }));
    const options = { seed: 3, testFraction: 0.2, vocabSize: 100, maxLength: 4 };
    const split = splitAndEncode(messages, options);
    expect(splitAndEncode(messages, options)).toEqual(split);
    expect([split.train.count, split.test.count]).toEqual([24, 6]);
    expect(split.vocabulary.filter((t) => t.startsWith('only'))).toHaveLength(24);
    for (let r = 0; r < split.test.count; r++) expect(split.test.x[r * 4 + 3]).toBe(UNKNOWN_ID);
    for (let r = 0; r < split.train.count; r++) expect(split.train.x[r * 4 + 3]).toBeGreaterThan(UNKNOWN_ID);
    // labels follow their messages: training marker only<i> (id known) goes with label i % 2
    for (let r = 0; r < split.train.count; r++) {
      const i = Number(split.vocabulary[split.train.x[r * 4 + 3]!]!.slice('only'.length));
      expect(split.train.y[r]).toBe(i % 2);
    }
  });
});

describe('spam-assassin dataset', () => {
  it('reads the 6,046 messages of the corpus', () => {
    const corpus = loadSpamAssassinCorpus();
    expect(corpus).toHaveLength(6046);
    expect(corpus.filter((m) => spamLabel(m.group) === 1)).toHaveLength(1896);
  });

  it('loads a seeded, deterministic split of token ids, binary labels, padded to maxLength', () => {
    const a = loadDataset(spec, 11, '.');
    const b = loadDataset(spec, 11, '.');
    expect(a).toMatchObject({ name: 'spam-assassin', inputShape: [64], featureSize: 64, numClasses: 2, vocabSize: 500 });
    expect(a.train.count + a.test.count).toBe(400);
    expect(a.test.count).toBe(100);
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.vocabulary).toEqual(b.vocabulary);
    expect(a.vocabulary).toHaveLength(500);
    expect(a.vocabulary!.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    expect(a.vocabSize).toBe(500);
    expect(loadDataset(spec, 12, '.').fingerprint).not.toBe(a.fingerprint);
    for (const part of [a.train, a.test]) {
      expect(part.x).toHaveLength(part.count * 64);
      expect(part.x.every((v) => Number.isInteger(v) && v >= 0 && v < 500)).toBe(true);
      expect(part.y.every((v) => v === 0 || v === 1)).toBe(true);
    }
    const spam = Array.from(a.train.y).filter((v) => v === 1).length / a.train.count;
    expect(spam).toBeGreaterThan(0.2);
    expect(spam).toBeLessThan(0.45);
    expect(a.train.x.some((v) => v === PAD_ID)).toBe(true);
    expect(a.test.x.some((v) => v === UNKNOWN_ID)).toBe(true);
  });

  it('maps a token that occurs only in the test split to the unknown id', () => {
    const data = loadDataset({ ...spec, vocabSize: 100000 }, 11, '.');
    // With a vocabulary larger than the training split's distinct tokens, every training token
    // is known, so each unknown id in the test split is a token the training split never had.
    expect(data.vocabulary!.length).toBeLessThan(100000);
    let unseen = 0;
    for (let r = 0; r < data.test.count; r++) {
      for (let j = 0; j < 64; j++) {
        const id = data.test.x[r * 64 + j]!;
        if (id === UNKNOWN_ID) unseen++;
        else expect(id).toBeLessThan(data.vocabulary!.length);
      }
    }
    expect(unseen).toBeGreaterThan(0);
    // with an unlimited vocabulary, no training token is unknown
    expect(data.train.x.every((v) => v !== UNKNOWN_ID)).toBe(true);
  });
});
