/** What the engine-free step reads of a layer with weights (Dense, Conv2D), and what keeps such a layer on the engine path. */
import type * as tf from '@tensorflow/tfjs';

/** A trainable weight of a layer as tf.layers keeps it (`read()` is the current tf.Variable). */
export interface LayerWeight {
  read(): tf.Tensor;
}

/** The fields of a layer with a kernel and maybe a bias that decide eligibility. */
export interface WeightFields {
  kernel: LayerWeight;
  bias?: LayerWeight | null;
  kernelRegularizer?: unknown;
  biasRegularizer?: unknown;
  activityRegularizer?: unknown;
  kernelConstraint?: unknown;
  biasConstraint?: unknown;
}

/** Why a layer's regularizers or constraints keep it on the engine path, if they do. */
export function extrasReason(fields: WeightFields): string | undefined {
  if (fields.kernelRegularizer || fields.biasRegularizer || fields.activityRegularizer) return 'it has a regularizer';
  if (fields.kernelConstraint || fields.biasConstraint) return 'it has a constraint';
  return undefined;
}
