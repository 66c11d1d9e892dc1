// The token ids a model takes, as a kind of model state: after a trim-vocabulary stage, a map
// from the dataset's original ids to the model's. Later stages, the metrics and vocab.json read
// the data through it, so the dataset itself is loaded (and fingerprinted) once, unchanged.
import type { Dataset, Split } from '../data/types.js';
import type { ModelState, StateCodec } from '../types/model-state.js';

/** The state kind's field name. */
export const VOCABULARY_KIND = 'vocabulary';

/** Original token id → the model's id (0 padding, 1 unknown kept); `size`: the model's vocabulary size. */
export interface VocabularyMap {
  ids: Int32Array;
  size: number;
}

/** The `vocabulary` kind: null while the model takes the dataset's own ids. */
export const vocabularyCodec: StateCodec<VocabularyMap | null> = {
  kind: VOCABULARY_KIND,
  empty: () => null,
  encode: (map) => (map ? { json: { size: map.size, length: map.ids.length }, bytes: new Uint8Array(map.ids.buffer.slice(map.ids.byteOffset, map.ids.byteOffset + map.ids.byteLength)) } : { json: null }),
  decode: (json, bytes) => {
    if (json === null || !bytes) return null;
    const { size, length } = json as { size: number; length: number };
    return { size, ids: new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + length * 4)) };
  },
};

/** The vocabulary map of a state, if a stage trimmed it. */
export function vocabularyOf(state: ModelState): VocabularyMap | null {
  return (state[VOCABULARY_KIND] as VocabularyMap | null | undefined) ?? null;
}

/** `outer` after `inner`: original ids through both maps. */
export function composeMaps(inner: VocabularyMap | null, outer: VocabularyMap): VocabularyMap {
  if (!inner) return outer;
  return { size: outer.size, ids: inner.ids.map((id) => outer.ids[id]!) };
}

function remapSplit(split: Split, ids: Int32Array): Split {
  const x = new Float32Array(split.x.length);
  for (let i = 0; i < x.length; i++) x[i] = ids[split.x[i]!] ?? 1;
  return { ...split, x, scale: 1 };
}

const views = new WeakMap<Dataset, WeakMap<Int32Array, Dataset>>();

/**
 * The dataset as the state's model reads it: token ids remapped, `vocabSize` and `vocabulary`
 * those of the model (`data` itself when nothing was trimmed). Cached per dataset and map.
 */
export function dataFor(data: Dataset, state: ModelState): Dataset {
  const map = vocabularyOf(state);
  if (!map) return data;
  const cache = views.get(data) ?? new WeakMap<Int32Array, Dataset>();
  views.set(data, cache);
  const cached = cache.get(map.ids);
  if (cached) return cached;
  let vocabulary: string[] | undefined;
  if (data.vocabulary) {
    vocabulary = ['<pad>', '<unk>', ...new Array<string>(map.size - 2).fill('')];
    map.ids.forEach((to, from) => { if (to >= 2) vocabulary![to] = data.vocabulary![from]!; });
  }
  const view: Dataset = { ...data, train: remapSplit(data.train, map.ids), test: remapSplit(data.test, map.ids), vocabSize: map.size, ...(vocabulary ? { vocabulary } : {}) };
  cache.set(map.ids, view);
  return view;
}
