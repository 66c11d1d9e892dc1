// Leaf module: the state a stage hands to the next. Open: kinds beyond masks and quantization
// (clusters, a vocabulary, a plugin's) ride along as further fields, each persisted by its codec.
import type * as tf from '@tensorflow/tfjs';
import type { QuantizationSpec } from '../compress/quantize.js';
import type { CondenseModel } from '../model/kind.js';

/** What compression decided about a model, by kind: everything a state holds but the model. */
export interface StateParts {
  /** Pruning masks (1 keep, 0 pruned) by weight key; fixed through later training. */
  masks: Map<string, Float32Array>;
  /** Per-weight quantization chosen by a quantize stage, applied when the model is exported. */
  quantization: Map<string, QuantizationSpec>;
  /** Further kinds of compression state, by codec kind; every one needs a registered {@link StateCodec}. */
  [kind: string]: unknown;
}

/** Everything a stage hands to the next one: the model and what compression decided about it. */
export interface ModelState extends StateParts {
  /** A LayersModel, or a GraphModel for the stages that need no training ({@link CondenseModel}). */
  model: CondenseModel;
}

/**
 * How one kind of model state is written to a checkpoint and read back, bit for bit. A stage
 * checkpoint and an epoch checkpoint hold every kind of the state through its codec, so a kind
 * added by a stage (or a plugin) survives caching and `--resume` without changing the runner.
 */
export interface StateCodec<T = unknown> {
  /** The state field it persists, e.g. `masks`. */
  kind: string;
  /** The value of a model no stage has touched. */
  empty(): T;
  /**
   * True for a kind that describes the weights' current values (quantization, clusters): a stage
   * that changes weight values releases it (see `weightsChanged`). Masks are decisions that
   * training keeps, so they are not tied. Default false.
   */
  tiedToWeights?: boolean;
  /**
   * For a kind tied to the weights that training can keep true (clusters): what each optimizer
   * step must do to keep it. A stage that trains with the constraint applied (finetune) keeps the
   * kind instead of releasing it; stages that train freely (train, prune, distill) release it.
   */
  constrainTraining?(value: T, model: tf.LayersModel): TrainingConstraint | undefined;
  /** JSON-able metadata and optional binary payload. */
  encode(value: T): { json: unknown; bytes?: Uint8Array };
  decode(json: unknown, bytes: Uint8Array | undefined): T;
}

/** What training must do each step to keep a kind of state true (see {@link StateCodec.constrainTraining}). */
export interface TrainingConstraint {
  /** Rewrites the gradients (by variable name) before the optimizer applies them; returns new tensors, never disposes its input. */
  transformGradients?(grads: tf.NamedTensorMap): tf.NamedTensorMap;
  /** Runs after each optimizer step (after masks are re-applied). */
  afterStep?(): void;
}
