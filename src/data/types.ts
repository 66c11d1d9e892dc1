/** One split of a classification dataset, as flat typed arrays (row-major, one example per row). */
export interface Split {
  /** Features, `count × featureSize` float32 values (pixels in [0, 1]). */
  x: Float32Array;
  /** Class index of each example. */
  y: Int32Array;
  count: number;
}

/** A loaded classification dataset with its seeded train/test split. */
export interface Dataset {
  name: string;
  /** Shape of one example as the model receives it, e.g. [784]. */
  inputShape: number[];
  featureSize: number;
  numClasses: number;
  /**
   * Text datasets: token ids run 0 … vocabSize − 1 (0 padding, 1 unknown), stored as float32 in
   * `x`; embedding layers sized from it.
   */
  vocabSize?: number;
  /** Text datasets: the token of each id, for tokenizing new text as the model was trained. */
  vocabulary?: string[];
  train: Split;
  test: Split;
  /** sha256 over the loader spec and the data bytes: part of every stage fingerprint. */
  fingerprint: string;
}

/** Examples before splitting. */
export interface Examples {
  x: Float32Array;
  y: Int32Array;
  count: number;
  featureSize: number;
  inputShape: number[];
  numClasses: number;
}
