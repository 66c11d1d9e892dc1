// Removing channels for real: the model is rebuilt from its JSON topology with the smaller
// `units`/`filters`, and every coupled weight is cut along its channel axes.
import * as tf from '@tensorflow/tfjs';
import { modelJson } from './describe.js';
import { LAYER_RULES, depthMultiplierOf } from './rules.js';
import { applyCuts } from './slice.js';
import type { AxisCut, ChannelGroup, GraphLayer, LayerGraph } from './types.js';

/** For each weight (variable of the original model) whose shape changed, how to cut an array of its old shape. */
export type WeightCuts = Map<tf.LayerVariable, (v: Float32Array) => Float32Array>;

/** The elements each layer output keeps once `removed[g]` channels of each group are gone. */
export function keptElements(graph: LayerGraph, groups: ChannelGroup[], removed: number[][]): Map<string, number[]> {
  const dropped = new Map<string, Set<number>>();
  groups.forEach((group, g) => {
    for (const c of removed[g] ?? []) {
      for (const [tensor, elements] of group.channels[c]!) {
        const set = dropped.get(tensor) ?? new Set<number>();
        dropped.set(tensor, set);
        for (const e of elements) set.add(e);
      }
    }
  });
  const kept = new Map<string, number[]>();
  for (const l of graph.layers) {
    const n = l.outShape.at(-1) ?? 0;
    const gone = dropped.get(l.name);
    kept.set(l.name, Array.from({ length: n }, (_, i) => i).filter((i) => !gone?.has(i)));
  }
  return kept;
}

/** The cuts of each weight of a layer, by short name, leaving out cuts that keep everything. */
export function layerCuts(layer: GraphLayer, kept: Map<string, number[]>): Map<string, AxisCut[]> {
  const rule = LAYER_RULES[layer.className];
  if (!rule?.cuts || layer.weights.length === 0) return new Map();
  const keptIn = layer.inbound.map((n) => kept.get(n)!);
  const all = rule.cuts(layer, keptIn, kept.get(layer.name)!);
  const out = new Map<string, AxisCut[]>();
  for (const w of layer.weights) {
    const cuts = (all.get(w.name) ?? []).filter((c) => c.kept.length < w.shape[c.axis]!);
    if (cuts.length) out.set(w.name, cuts);
  }
  return out;
}

/** Sets the fields of a serialized (snake_case) config that state a layer's output size (units, filters, a Reshape's target). */
function resizeConfig(layer: GraphLayer, config: Record<string, unknown>, outputs: number): void {
  const field = LAYER_RULES[layer.className]?.sizeField;
  if (field) config[field] = outputs;
  if (layer.className === 'Reshape') {
    const target = [...(config.target_shape as number[])];
    if (target.at(-1) !== -1) target[target.length - 1] = outputs;
    config.target_shape = target;
  }
}

/**
 * A new model without the removed elements (see {@link keptElements}), same layer and weight names,
 * same topology kind; and for each weight of `model` whose shape changed, how to cut an array of
 * its old shape the same way (for masks).
 */
export async function rebuildModel(model: tf.LayersModel, graph: LayerGraph, kept: Map<string, number[]>): Promise<{ model: tf.LayersModel; cut: WeightCuts }> {
  const json = modelJson(model);
  const entries = new Map(json.config.layers.map((e) => [e.config.name as string, e]));
  const cutsByLayer = new Map<string, Map<string, AxisCut[]>>();
  for (const layer of graph.layers) {
    const entry = entries.get(layer.name);
    if (entry && kept.get(layer.name)!.length < (layer.outShape.at(-1) ?? 0)) resizeConfig(layer, entry.config, kept.get(layer.name)!.length);
    // Its serialized config lacks the multiplier: rebuilt without it, the depthwise kernel would not fit.
    if (entry && layer.className === 'SeparableConv2D') entry.config.depth_multiplier = depthMultiplierOf(layer);
    cutsByLayer.set(layer.name, layerCuts(layer, kept));
  }
  const rebuilt = await tf.models.modelFromJSON({ modelTopology: json as never });
  const cut: WeightCuts = new Map();
  for (const layer of model.layers) {
    const cuts = cutsByLayer.get(layer.name) ?? new Map<string, AxisCut[]>();
    const current = layer.getWeights();
    const values = layer.weights.map((w, k) => {
      const steps = cuts.get(w.originalName.split('/').pop()!) ?? [];
      const shape = [...w.shape] as number[];
      if (steps.length) cut.set(w, (v) => applyCuts(v, shape, steps).values);
      const result = applyCuts(current[k]!.dataSync() as Float32Array, shape, steps);
      return tf.tensor(result.values, result.shape, w.dtype);
    });
    if (values.length) rebuilt.getLayer(layer.name).setWeights(values);
    tf.dispose(values);
  }
  return { model: rebuilt, cut };
}
