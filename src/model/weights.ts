import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { selectorMatchesView } from './selectors.js';
import type { GraphWeightOwner } from './graph/editable.js';
import type { CondenseModel } from './kind.js';
import type { WeightedModel, WeightOwner, WeightVariable } from './model-types.js';

export type { WeightedModel, WeightOwner, WeightVariable } from './model-types.js';

/** The owners of a {@link CondenseModel}'s weights: layers, or a graph's weight nodes. */
export type AnyOwner = tf.layers.Layer | GraphWeightOwner;

/** A layer's weight with its stable key, its full path (e.g. `dense1/kernel`, `encoder/dense1/kernel`). */
export interface KeyedWeight<L extends WeightOwner = tf.layers.Layer> {
  key: string;
  layer: L;
  variable: L['weights'][number];
}

/**
 * The stable, unique key of a weight: its full path. A layer's own weights are named
 * `layer/weight` already; the weights of a nested model (a model used as a layer) are named after
 * their inner layer, so the outer layer's name goes in front: `encoder/dense1/kernel`. The key
 * does not use `variable.name`, which TF.js suffixes (`_1`) each time a model is loaded.
 */
function weightKey(layer: WeightOwner, variable: WeightVariable): string {
  const own = variable.originalName;
  // A GraphModel's weight is its own owner: its key is its name.
  return own === layer.name || own.startsWith(`${layer.name}/`) ? own : `${layer.name}/${own}`;
}

/** Every weight of the model, in layer order. */
export function keyedWeights(model: tf.LayersModel): KeyedWeight[];
export function keyedWeights(model: CondenseModel): Array<KeyedWeight<AnyOwner>>;
export function keyedWeights<L extends WeightOwner>(model: WeightedModel<L>): Array<KeyedWeight<L>>;
export function keyedWeights<L extends WeightOwner>(model: WeightedModel<L>): Array<KeyedWeight<L>> {
  const out: Array<KeyedWeight<L>> = [];
  for (const layer of model.layers) {
    for (const variable of layer.weights) out.push({ key: weightKey(layer, variable), layer, variable });
  }
  return out;
}

/**
 * Prunable weights: float weights of rank ≥ 2 (kernels, embeddings); biases and norms are not.
 * A GraphModel names its own (the filters of its convolutions and matrix products), since other
 * constants of its graph (anchors, lookup tables) are no weights to zero.
 */
export function prunableWeights(model: tf.LayersModel): KeyedWeight[];
export function prunableWeights(model: CondenseModel): Array<KeyedWeight<AnyOwner>>;
export function prunableWeights<L extends WeightOwner>(model: WeightedModel<L>): Array<KeyedWeight<L>> {
  const named = model.prunableWeightNames?.();
  return keyedWeights(model).filter((w) => (named ? named.has(w.variable.originalName)
    : w.variable.shape.length >= 2 && w.variable.dtype === 'float32'));
}

/** The current values of a weight as a fresh Float32Array. */
export function readWeight(w: KeyedWeight<WeightOwner>): Float32Array {
  return w.variable.read().dataSync() as Float32Array;
}

/** Multiplies each masked weight by its mask, in place. */
export function applyMasks(model: WeightedModel | CondenseModel, masks: Map<string, Float32Array>): void {
  if (masks.size === 0) return;
  for (const w of keyedWeights(model)) {
    const mask = masks.get(w.key);
    if (!mask) continue;
    tf.tidy(() => {
      w.variable.write(tf.mul(w.variable.read(), tf.tensor(mask, w.variable.shape as number[])));
    });
  }
}

/** Whether a selector (see {@link selectorMatchesView}) picks a layer of a built model. */
function selectorMatches(selector: string, layer: WeightOwner): boolean {
  return selectorMatchesView(selector, { name: layer.name, className: layer.getClassName() });
}

/**
 * Layers picked by include/exclude selectors (include empty = all layers). A selector that
 * matches no layer is an error: it is almost always a typo.
 */
export function selectLayers(model: tf.LayersModel, include: string[], exclude: string[]): tf.layers.Layer[];
export function selectLayers(model: CondenseModel, include: string[], exclude: string[]): AnyOwner[];
export function selectLayers<L extends WeightOwner>(model: WeightedModel<L>, include: string[], exclude: string[]): L[] {
  const unmatched = [...include, ...exclude].filter((s) => !model.layers.some((l) => selectorMatches(s, l)));
  if (unmatched.length) {
    const names = model.layers.map((l) => `${l.name} (${l.getClassName()})`).join(', ');
    throw new SelectorError(unmatched, names);
  }
  return pickedLayers(model, include, exclude);
}

/**
 * The layers include/exclude selectors pick (include empty = all layers), without the check that
 * each selector matches some layer: for a model some stage step already shrank, whose selectors
 * were checked against the stage's input.
 */
export function pickedLayers<L extends WeightOwner>(model: WeightedModel<L>, include: string[], exclude: string[]): L[] {
  return model.layers.filter(
    (l) => (include.length === 0 || include.some((s) => selectorMatches(s, l))) && !exclude.some((s) => selectorMatches(s, l)),
  );
}

/** A layer selector that matched nothing; lists the layers there are. */
export class SelectorError extends UsageError {
  readonly selectors: string[];
  constructor(selectors: string[], layers: string) {
    super(`selector${selectors.length > 1 ? 's' : ''} ${selectors.map((s) => `"${s}"`).join(', ')} matched no layer; layers: ${layers}`, { hint: 'a selector is an exact layer name, "re:<regex>" or "type:<ClassName>"' });
    this.selectors = selectors;
  }
}

/** Replaces a weight's values, in place. */
export function writeWeight(w: KeyedWeight<WeightOwner>, values: Float32Array): void {
  tf.tidy(() => {
    w.variable.write(tf.tensor(values, w.variable.shape as number[]));
  });
}
