// Per-layer targets (`sparsity: {fc1: 0.92, output: 0.74}`, `clusters: {fc1: 32}`): one number for
// every selected layer, or a map from layer selector to number. Shared by prune and cluster.
import { selectorMatchesView } from './selectors.js';

/** A number for every selected layer, or one per layer by selector (name, "re:<regex>", "type:<ClassName>"). */
export type LayerTarget = number | Record<string, number>;

interface LayerView {
  name: string;
  className: string;
}

/**
 * The schema of a {@link LayerTarget} whose values follow `number` (a JSON Schema fragment):
 * the number itself, or a map from selector to such numbers.
 */
export function layerTargetSchema(number: Record<string, unknown>, description: string): Record<string, unknown> {
  return {
    description: `${description} A number for every selected layer, or a map from layer selector to number (layers no key matches are left alone).`,
    anyOf: [number, { type: 'object', minProperties: 1, additionalProperties: number }],
  };
}

/**
 * A layer's target: the number, or the value of the map's key naming the layer exactly, else of
 * the first key (in the recipe's order) matching it; undefined when no key matches.
 */
export function targetFor(target: LayerTarget, layer: LayerView): number | undefined {
  if (typeof target === 'number') return target;
  if (Object.hasOwn(target, layer.name)) return target[layer.name];
  const key = Object.keys(target).find((selector) => selectorMatchesView(selector, layer));
  return key === undefined ? undefined : target[key];
}

/** Keys of a map target that match none of `layers` (typos), for a stage's check. */
export function unmatchedTargetKeys(target: LayerTarget | undefined, layers: readonly LayerView[] | undefined): string[] {
  if (target === undefined || typeof target === 'number' || !layers) return [];
  return Object.keys(target).filter((selector) => !layers.some((l) => selectorMatchesView(selector, l)));
}

/**
 * Items (weights) grouped by their layer's target: one group with the number, or with a map one
 * group per item whose layer a key matches (each its own target); the rest are left out.
 */
export function groupByTarget<T>(items: readonly T[], target: LayerTarget, layerOf: (item: T) => LayerView): Array<{ target: number; items: T[] }> {
  if (typeof target === 'number') return [{ target, items: [...items] }];
  return items.flatMap((item) => {
    const t = targetFor(target, layerOf(item));
    return t === undefined ? [] : [{ target: t, items: [item] }];
  });
}

/** A stage-check problem per key of a map target (at `field`) that matches no layer. */
export function targetKeyProblems(target: LayerTarget | undefined, layers: readonly LayerView[] | undefined, field: string) {
  return unmatchedTargetKeys(target, layers).map((key) => ({
    path: [field, key], key: true, message: `selector "${key}" matches no layer`, hint: `layers: ${layers!.map((l) => l.name).join(', ')}`,
  }));
}
