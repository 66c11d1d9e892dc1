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
export function layerTargetSchema(number: Record<string, unknown>, description: string, options: { fromStage?: string } = {}): Record<string, unknown> {
  const fromStage = options.fromStage ? [{ type: 'string', pattern: STAGE_TARGET_PATTERN }] : [];
  return {
    description: `${description} A number for every selected layer, or a map from layer selector to number (layers no key matches are left alone)${options.fromStage ? `, or "stage:<name>": ${options.fromStage}` : ''}.`,
    anyOf: [number, { type: 'object', minProperties: 1, additionalProperties: number }, ...fromStage],
  };
}

/** The `stage:<name>` form of a target: what an earlier stage proposed (a stage name as recipes spell it). */
const STAGE_TARGET_PATTERN = '^stage:[a-z0-9][a-z0-9._-]*$';

/** The stage a `stage:<name>` target names; undefined for a number or a map. */
export function stageTargetName(target: unknown): string | undefined {
  return typeof target === 'string' && target.startsWith('stage:') ? target.slice('stage:'.length) : undefined;
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
export function unmatchedTargetKeys(target: LayerTarget | string | undefined, layers: readonly LayerView[] | undefined): string[] {
  if (typeof target !== 'object' || !layers) return [];
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
export function targetKeyProblems(target: LayerTarget | string | undefined, layers: readonly LayerView[] | undefined, field: string) {
  return unmatchedTargetKeys(target, layers).map((key) => ({
    path: [field, key], key: true, message: `selector "${key}" matches no layer`, hint: `layers: ${layers!.map((l) => l.name).join(', ')}`,
  }));
}
