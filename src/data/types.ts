/**
 * Feature storage of a split: float32 values, or uint8 values that are scaled (× `scale`) to
 * float32 when a batch is made, so image datasets hold one byte per pixel.
 */
export type FeatureArray = Float32Array | Uint8Array;

/** What a dataset's labels are: class indices (`classification`, the default) or numeric targets (`regression`). */
export type DataTask = 'classification' | 'regression';

/**
 * Each example's label: class indices 0…K−1 (Int32Array, classification), or the value to
 * predict (Float32Array, `task: regression`).
 */
export type Targets = Int32Array | Float32Array;

/** One split of a dataset, as flat typed arrays (row-major, one example per row). */
export interface Split {
  /**
   * Features, `count × featureSize` values (row-major over the example shape). Uint8 storage is
   * read as `x[i] × scale`.
   */
  x: FeatureArray;
  /** Factor a feature value is multiplied by when read (default 1); images: 1/255. */
  scale?: number;
  /** Class index of each example (Int32Array), or its numeric target for regression (Float32Array). */
  y: Targets;
  count: number;
}

/** A loaded dataset with its seeded train/test split. */
export interface Dataset {
  name: string;
  /**
   * Shape of one example, e.g. [784], [28, 28, 1] for images, [maxLength] for text: the natural
   * shape of the data (the model may reshape it when the element count matches).
   */
  inputShape: number[];
  featureSize: number;
  /**
   * Images stored flat (or as [h, w, c]): the [height, width, channels] of an example whose
   * features are its pixels, row-major and channels last. What `augment` needs to move pixels.
   */
  imageShape?: [number, number, number];
  /** Number of output units the labels need: the class count, or 1 for regression. */
  numClasses: number;
  /** Class names by index, when the labels were strings (or image folder names). */
  classes?: string[];
  /**
   * Text datasets: token ids run 0 … vocabSize − 1 (0 padding, 1 unknown), stored as float32 in
   * `x`; embedding layers sized from it.
   */
  vocabSize?: number;
  /** Text datasets: the token of each id, for tokenizing new text as the model was trained. */
  vocabulary?: string[];
  train: Split;
  test: Split;
  /** sha256 over the loader (name, version), its spec, the seed and the split bytes: part of every stage fingerprint. */
  fingerprint: string;
}

/** Examples before splitting. */
export interface Examples {
  x: FeatureArray;
  /** As {@link Split.scale}. */
  scale?: number;
  /** As {@link Split.y}. */
  y: Targets;
  count: number;
  featureSize: number;
  inputShape: number[];
  /** As {@link Dataset.imageShape}. */
  imageShape?: [number, number, number];
  numClasses: number;
  /** As {@link Dataset.classes}. */
  classes?: string[];
}

/** Rows `[start, end)` of a split's features as float32 (scaled), e.g. to build one tensor of a whole split. */
export function featureRows(split: Split, featureSize: number, start = 0, end = split.count): Float32Array {
  const source = split.x.subarray(start * featureSize, end * featureSize);
  if (source instanceof Float32Array && (split.scale ?? 1) === 1) return source;
  const scale = split.scale ?? 1;
  const out = new Float32Array(source.length);
  for (let i = 0; i < source.length; i++) out[i] = source[i]! * scale;
  return out;
}
