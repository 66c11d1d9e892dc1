// Layer classes plugins add (`export const layers = [MyLayer]`), kept here without TF.js so that
// loading a recipe stays free of it; model/io.ts registers them with tf.serialization before it
// loads any model.

/** A layer class as TF.js serializes it: a constructor with a static `className`. */
export interface LayerClass {
  className: string;
  new (...args: never[]): unknown;
}

const added = new Map<string, LayerClass>();

/** Records plugin layer classes for registration; a later class of the same `className` replaces the earlier. */
export function addLayerClasses(classes: LayerClass[]): void {
  for (const c of classes) added.set(c.className, c);
}

/** The layer classes plugins added, in the order they came. */
export function customLayerClasses(): LayerClass[] {
  return [...added.values()];
}

/** Why a plugin's `layers` entry is not a layer class, or undefined. */
export function layerClassProblem(c: unknown): string | undefined {
  if (typeof c !== 'function') return 'is not a class';
  const name = (c as { className?: unknown }).className;
  if (typeof name !== 'string' || !name) return 'has no static `className` (TF.js serializes layers by it)';
  return undefined;
}
