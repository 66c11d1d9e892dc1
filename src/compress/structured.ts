import * as tf from '@tensorflow/tfjs';

/** Layers that pass channels through unchanged, so a pruned unit's consumer can sit behind them. */
const PASS_THROUGH = new Set(['Activation', 'Dropout', 'MaxPooling2D', 'AveragePooling2D', 'Flatten', 'ReLU', 'LeakyReLU']);
const PRUNABLE = new Set(['Dense', 'Conv2D']);

/** Units (Dense) or filters (Conv2D) to keep, by layer name. */
export type KeptUnits = Map<string, number[]>;

/** The L2 norm of each output unit's kernel column: the usual importance for removing units. */
export function unitNorms(kernel: Float32Array, outputs: number): Float64Array {
  const norms = new Float64Array(outputs);
  for (let i = 0; i < kernel.length; i++) norms[i % outputs] += kernel[i]! * kernel[i]!;
  return norms.map(Math.sqrt);
}

/** Indices (ascending) of the `keep` units with the largest norms; ties keep the earlier unit. */
export function topUnits(norms: Float64Array, keep: number): number[] {
  const order = Array.from(norms.keys()).sort((a, b) => norms[b]! - norms[a]! || a - b);
  return order.slice(0, Math.max(1, keep)).sort((a, b) => a - b);
}

/** Why a layer cannot be pruned structurally, or undefined when it can. */
export function structuralBlocker(model: tf.LayersModel, layerName: string): string | undefined {
  if (model.getClassName() !== 'Sequential') return 'structured pruning needs a Sequential model';
  const i = model.layers.findIndex((l) => l.name === layerName);
  const layer = model.layers[i]!;
  if (!PRUNABLE.has(layer.getClassName())) return `${layer.name} is a ${layer.getClassName()}; structured pruning removes units of Dense and filters of Conv2D layers`;
  for (const next of model.layers.slice(i + 1)) {
    if (PRUNABLE.has(next.getClassName())) return undefined;
    if (!PASS_THROUGH.has(next.getClassName())) return `${next.getClassName()} layer ${next.name} after ${layer.name} is not supported between pruned units and their consumer`;
  }
  return `${layer.name} is the last weighted layer: its units are the model's outputs`;
}

/** Keeps `kept` indices along `axis` of a row-major array of `shape`. */
function takeAlong(values: Float32Array, shape: number[], axis: number, kept: number[]): { values: Float32Array; shape: number[] } {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const size = shape[axis]!;
  const out = new Float32Array(outer * kept.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const k of kept) {
      const from = (a * size + k) * inner;
      out.set(values.subarray(from, from + inner), o);
      o += inner;
    }
  }
  const newShape = [...shape];
  newShape[axis] = kept.length;
  return { values: out, shape: newShape };
}

/**
 * Rebuilds a Sequential model without the units not in `kept`: each pruned layer loses kernel
 * columns and bias entries, and the next weighted layer loses the matching input rows (through a
 * Flatten, every spatial position's copy of the channel). Returns the new model and, for each
 * weight key, how to cut an array of that weight's old shape the same way (for masks).
 */
export async function removeUnits(model: tf.LayersModel, kept: KeptUnits): Promise<{ model: tf.LayersModel; cut: Map<string, (v: Float32Array) => Float32Array> }> {
  const json = model.toJSON(null, false) as unknown as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } };
  const cuts = new Map<string, Array<{ axis: number; kept: number[]; spatial?: number }>>();
  const addCut = (key: string, c: { axis: number; kept: number[]; spatial?: number }) => cuts.set(key, [...(cuts.get(key) ?? []), c]);
  model.layers.forEach((layer, i) => {
    const keep = kept.get(layer.name);
    if (!keep) return;
    const entry = json.config.layers.find((l) => l.config.name === layer.name)!;
    entry.config[layer.getClassName() === 'Dense' ? 'units' : 'filters'] = keep.length;
    addCut(`${layer.name}/kernel`, { axis: layer.weights[0]!.shape.length - 1, kept: keep });
    addCut(`${layer.name}/bias`, { axis: 0, kept: keep });
    const consumerIndex = model.layers.findIndex((l, j) => j > i && PRUNABLE.has(l.getClassName()));
    const consumer = model.layers[consumerIndex]!;
    const flattened = model.layers.slice(i + 1, consumerIndex).some((l) => l.getClassName() === 'Flatten');
    const inShape = consumer.getClassName() === 'Dense' ? 0 : 2;
    const spatial = flattened ? (consumer.weights[0]!.shape[0] as number) / (layer.weights[0]!.shape.at(-1) as number) : undefined;
    addCut(`${consumer.name}/kernel`, { axis: inShape, kept: keep, spatial });
  });
  const rebuilt = await tf.models.modelFromJSON({ modelTopology: json as never });
  const cut = new Map<string, (v: Float32Array) => Float32Array>();
  for (const layer of model.layers) {
    const values = layer.weights.map((w, k) => {
      const key = `${layer.name}/${w.originalName.split('/').pop()}`;
      const original = w.shape as number[];
      const steps = cuts.get(key) ?? [];
      const apply = (v: Float32Array) => {
        let current = { values: v, shape: original };
        for (const c of steps) current = applyCut(current.values, current.shape, c);
        return current;
      };
      if (steps.length) cut.set(key, (v) => apply(v).values);
      const result = apply(layer.getWeights()[k]!.dataSync() as Float32Array);
      return tf.tensor(result.values, result.shape);
    });
    if (values.length) rebuilt.getLayer(layer.name).setWeights(values);
    tf.dispose(values);
  }
  return { model: rebuilt, cut };
}

function applyCut(values: Float32Array, shape: number[], c: { axis: number; kept: number[]; spatial?: number }) {
  if (c.spatial === undefined) return takeAlong(values, shape, c.axis, c.kept);
  // A Dense kernel behind a Flatten: rows are (position, channel) pairs, channel fastest.
  const channels = shape[0]! / c.spatial;
  const rows: number[] = [];
  for (let p = 0; p < c.spatial; p++) for (const k of c.kept) rows.push(p * channels + k);
  return takeAlong(values, shape, 0, rows);
}
