/**
 * Replacing a tf.layers class's `call` on the native backend (batch and layer normalization in
 * training, ./bn-layer.ts and ./layer-norm.ts). The class comes from tfjs-layers' serialization
 * registry: making an instance to reach its prototype would take a default layer name and shift
 * the names of the user's layers (`layer_normalization_LayerNormalization2` for their first).
 */
import * as tf from '@tensorflow/tfjs';

/** A layer's `call`, as tfjs-layers invokes it. */
export type LayerCall<L> = (this: L, inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict) => tf.Tensor | tf.Tensor[];

/**
 * Replaces `call` of the layer class registered as `className` by `wrap(stock)`, once per
 * tfjs-layers instance (`marker` tags the replacement, so a second install is a no-op).
 */
export function replaceLayerCall<L>(className: string, marker: symbol, wrap: (stock: LayerCall<L>) => LayerCall<L>): void {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!registered) throw new Error(`internal error: tfjs-layers registers no ${className} class`);
  const proto = registered[0].prototype as unknown as { call: LayerCall<L> & Record<symbol, boolean | undefined> };
  if (proto.call[marker]) return;
  const call = Object.assign(wrap(proto.call), { [marker]: true });
  proto.call = call;
}

/** The one input tensor of a call, or undefined. */
export function oneTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | undefined {
  if (!Array.isArray(inputs)) return inputs;
  return inputs.length === 1 ? inputs[0] : undefined;
}
