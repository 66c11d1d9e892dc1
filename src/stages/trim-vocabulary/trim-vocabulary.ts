import { UsageError } from '../../errors.js';
import { keepRows, trimEmbeddings, vocabularyEmbeddings } from '../../compress/trim-embeddings.js';
import { layersModelOf } from '../../model/kind.js';
import { describeOutputs } from '../../model/outputs.js';
import { outputImpact } from './impact.js';
import { composeMaps, vocabularyCodec, vocabularyOf } from '../../state/vocabulary.js';
import type { VocabularyMap } from '../../state/vocabulary.js';
import type { StageParams, TrimVocabularyStage } from '../../recipe/types.js';
import type { StageCheckProblem, StageDefinition, StageResult } from '../types.js';

/** Fields of a `trim-vocabulary` stage, generated from the schema: exactly one of `keep` (N most frequent) and `minCount`. */
export type TrimVocabularyParams = StageParams<TrimVocabularyStage>;

/** How often each id occurs in the training split's token ids. */
export function tokenCounts(x: ArrayLike<number>, vocabSize: number): Float64Array {
  const counts = new Float64Array(vocabSize);
  for (let i = 0; i < x.length; i++) counts[x[i]!]! += 1;
  return counts;
}

/**
 * The ids kept (ascending; 0 padding and 1 unknown always): tokens seen in training, the `keep`
 * with the highest score (ties: the lower id) or those seen at least `minCount` times. The score
 * is the token's count, or with `by: impact` `impact[id]` (see {@link outputImpact}).
 */
export function keptIds(counts: Float64Array, p: TrimVocabularyParams, impact?: Float64Array): number[] {
  const seen = [...counts.keys()].filter((id) => id >= 2 && counts[id]! > 0);
  const score = p.by === 'impact' && impact ? (id: number) => impact[id]! : (id: number) => counts[id]!;
  const chosen = p.keep !== undefined
    ? seen.sort((a, b) => score(b) - score(a) || a - b).slice(0, p.keep)
    : seen.filter((id) => counts[id]! >= p.minCount!);
  return [0, 1, ...chosen.sort((a, b) => a - b)];
}

/** The map from the current ids to the trimmed ones: a dropped token becomes unknown (1). */
function stepMap(vocabSize: number, kept: number[]): VocabularyMap {
  const ids = new Int32Array(vocabSize).fill(1);
  kept.forEach((old, i) => { ids[old] = i; });
  return { ids, size: kept.length };
}

/** `trim-vocabulary`: drops the embedding rows of tokens rare or absent in the training split. */
export const trimVocabularyStage: StageDefinition<TrimVocabularyParams> = {
  type: 'trim-vocabulary',
  // 2: by (impact ranks tokens by the model's output change).
  version: 2,
  description: 'Drops the embedding rows of tokens rare or absent in the training split (they become unknown, id 1); later stages, the metrics and vocab.json use the new token ids.',
  properties: {
    keep: { type: 'integer', minimum: 1, maximum: 1000000, description: 'Keep the N most frequent tokens of the training split (ties: the more frequent in the original vocabulary), plus padding and unknown: N + 2 rows at most.' },
    by: {
      enum: ['frequency', 'impact'],
      description: 'How `keep` ranks tokens: frequency (absent: the default), the training count; impact, how far the model\'s log-probabilities move, summed over '
        + 'the training examples, when the token alone is read as unknown (measured on the training split).',
    },
    minCount: { type: 'integer', minimum: 1, maximum: 1000000000, description: 'Keep every token seen at least M times in the training split.' },
  },
  stateCodecs: [vocabularyCodec],
  check(p): StageCheckProblem[] {
    if ((p.keep === undefined) === (p.minCount === undefined)) {
      return [{ path: [], message: 'trim-vocabulary needs exactly one of "keep" and "minCount"', hint: 'e.g. keep: 500' }];
    }
    if (p.by !== undefined && p.keep === undefined) return [{ path: ['by'], message: '"by" ranks the tokens "keep" chooses; minCount keeps every token seen often enough', hint: 'use keep: N with by, or remove by' }];
    return [];
  },
  async run(ctx): Promise<StageResult> {
    const { data, input } = ctx;
    if (data.vocabSize === undefined) throw new UsageError('trim-vocabulary needs a text dataset of token ids (e.g. dataset: spam-assassin)');
    const model = layersModelOf(input.model, ctx.name);
    const layers = vocabularyEmbeddings(model, data.vocabSize);
    if (layers.length === 0) {
      throw new UsageError(`the model has no Embedding over the vocabulary (${data.vocabSize} rows)`, { hint: 'trim-vocabulary shrinks the embedding tables of a text model (textmlp, bert)' });
    }
    const counts = tokenCounts(data.train.x, data.vocabSize);
    const impact = ctx.params.by === 'impact' ? outputImpact(model, describeOutputs(model, ctx.outputsOf()), data.train, data.featureSize, data.vocabSize) : undefined;
    const kept = keptIds(counts, ctx.params, impact);
    // The unknown row stays as trained: measured on spam-distill it keeps more accuracy than the
    // dropped rows' frequency-weighted mean (0.961 vs 0.931 before fine-tuning) or the padding row.
    const smaller = await trimEmbeddings(model, layers, kept);
    const masks = new Map(input.masks);
    for (const name of layers) {
      const key = `${name}/embeddings`;
      const mask = masks.get(key);
      if (mask) masks.set(key, keepRows(mask, mask.length / data.vocabSize, kept));
    }
    const known = kept.slice(2).reduce((n, id) => n + counts[id]!, 0);
    const tokens = counts.reduce((n, c, id) => (id >= 2 ? n + c : n), 0);
    const vocabulary = composeMaps(vocabularyOf(input), stepMap(data.vocabSize, kept));
    return {
      state: ctx.weightsChanged(input, { model: smaller, masks, vocabulary }),
      metrics: { vocabSize: kept.length, droppedTokens: data.vocabSize - kept.length, tokenCoverage: tokens ? known / tokens : 1 },
    };
  },
};
