// Structured pruning of any LayersModel through its dependency graph: group the coupled channels,
// score them, remove the weakest of each prunable group, rebuild the smaller model.
import type * as tf from '@tensorflow/tfjs';
import { rebuildModel, keptElements } from './apply.js';
import type { WeightCuts } from './apply.js';
import { describeModel } from './describe.js';
import { channelGroups } from './graph.js';
import { channelImportance } from './importance.js';
import type { ImportanceKind } from './importance.js';
import { channelsToRemove } from './select.js';
import type { RemovalOptions } from './select.js';
import type { ChannelGroup } from './types.js';

/** What to prune: the removal options, the importance, and the layers whose units may shrink. */
export interface ChannelPruneOptions extends RemovalOptions {
  importance: ImportanceKind;
  /** Names of the selected layers: a group shrinks only when every producer in it is selected. */
  selected: ReadonlySet<string>;
  /** For `taylor`: |w · ∂L/∂w| of every weight, by layer and short weight name. */
  taylor?: ReadonlyMap<string, ReadonlyMap<string, Float32Array>>;
}

/** The prunable groups, and for each producer that can lose nothing, why. */
export function splitGroups(groups: ChannelGroup[], selected: ReadonlySet<string>): { prunable: ChannelGroup[]; refused: Map<string, string> } {
  const prunable: ChannelGroup[] = [];
  const refused = new Map<string, string>();
  for (const group of groups) {
    const outside = group.producers.filter((p) => !selected.has(p));
    const why = group.fixed ?? (outside.length ? `its channels are coupled with ${outside.join(', ')}, which is not selected: select them together` : undefined);
    if (!why) prunable.push(group);
    for (const p of group.producers) if (why && !refused.has(p)) refused.set(p, why);
  }
  for (const g of prunable) for (const p of g.producers) refused.delete(p);
  return { prunable, refused };
}

/** The outcome of {@link pruneChannels}. */
export interface ChannelPruneResult {
  model: tf.LayersModel;
  /** How to cut an array of each changed weight's old shape (masks), by the original model's variable. */
  cut: WeightCuts;
  /** Units and filters removed, summed over producers (an Add of three convolutions counts thrice). */
  removedUnits: number;
  /** Groups that shrank. */
  prunedGroups: number;
  /** The last-axis elements each layer's output keeps, by layer name. */
  kept: Map<string, number[]>;
  /** Selected producers that could lose nothing, and why (naming the layer responsible). */
  refused: Map<string, string>;
}

/** The current values of a layer's weight by its short name (`kernel`, `gamma`, ...), undefined when it has none. */
export function weightValues(model: tf.LayersModel, layer: string, weight: string): Float32Array | undefined {
  const w = model.getLayer(layer).weights.find((v) => v.originalName.split('/').pop() === weight);
  return w ? (w.read().dataSync() as Float32Array) : undefined;
}

/** Removes the weakest channels of every prunable group of `model` (left unchanged). */
export async function pruneChannels(model: tf.LayersModel, options: ChannelPruneOptions): Promise<ChannelPruneResult> {
  const graph = describeModel(model);
  const layers = new Map(graph.layers.map((l) => [l.name, l]));
  const { prunable, refused } = splitGroups(channelGroups(graph), options.selected);
  const read = (layer: string, weight: string) => (options.importance === 'taylor' ? options.taylor?.get(layer)?.get(weight) : weightValues(model, layer, weight));
  const scored = prunable.flatMap((group) => {
    const scores = channelImportance(group, layers, read, options.importance);
    if (!scores) for (const p of group.producers) refused.set(p, `${p}'s channels pass no BatchNormalization (importance bnScale)`);
    return scores ? [{ group, scores }] : [];
  });
  const removed = channelsToRemove(scored.map((s) => s.scores), options);
  const groups = scored.map((s) => s.group);
  const kept = keptElements(graph, groups, removed);
  const rebuilt = await rebuildModel(model, graph, kept);
  const removedUnits = groups.reduce((n, g, i) => n + removed[i]!.reduce((m, c) => m + g.producers.reduce((k, p) => k + (g.channels[c]!.get(p)?.length ?? 0), 0), 0), 0);
  return { ...rebuilt, removedUnits, prunedGroups: removed.filter((r) => r.length).length, kept, refused };
}
