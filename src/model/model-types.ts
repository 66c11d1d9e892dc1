// Leaf module: the shapes of models and weights that the model kinds (LayersModel, editable
// GraphModel) share, so that neither kind's module needs the other's.
import type * as tf from '@tensorflow/tfjs';

/** What the output of a model holds: class probabilities or unnormalized scores. */
export type ScoreKind = 'probabilities' | 'logits';

/**
 * What condense reads and writes of a weight: a LayerVariable of a LayersModel, or a weight of a
 * GraphModel (src/model/graph). Its values are a float32 (or int32, bool) tensor of `shape`.
 */
export interface WeightVariable {
  /** Always known (a weight's shape has no unknown dimensions). */
  readonly shape: readonly (number | null)[];
  readonly dtype: tf.DataType;
  /** Its name in the model's files. */
  readonly originalName: string;
  read(): tf.Tensor;
  write(values: tf.Tensor): unknown;
}

/** What owns weights: a layer, or the node a GraphModel weight feeds (named by its op). */
export interface WeightOwner {
  readonly name: string;
  getClassName(): string;
  readonly weights: readonly WeightVariable[];
}

/** A model whose weights condense can read and write: a LayersModel, or an editable GraphModel. */
export interface WeightedModel<L extends WeightOwner = WeightOwner> {
  readonly layers: readonly L[];
  /** Weights pruning may zero; absent: float weights of rank ≥ 2. */
  prunableWeightNames?(): ReadonlySet<string>;
}
