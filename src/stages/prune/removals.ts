// The removals one structured-pruning step makes, in order: whole attention heads, feed-forward
// neurons, then coupled channels of the other selected layers. Each rebuilds the model; the
// masks of the weights that remain are cut the same way.
import type * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../errors.js';
import type { WeightCuts } from '../../compress/depgraph/apply.js';
import { connectedLayers } from '../../compress/depgraph/drop-model.js';
import { findAttentions, findFeedForward } from '../../compress/depgraph/heads.js';
import { pruneHeads } from '../../compress/depgraph/heads-model.js';
import { pruneChannels, weightValues } from '../../compress/depgraph/prune-channels.js';
import type { ImportanceKind } from '../../compress/depgraph/importance.js';
import { keyedWeights, pickedLayers } from '../../model/weights.js';
import type { PruneParams } from './params.js';

/** The fraction each kind of removal takes from the model as it is now (absent: none). */
export interface StepFractions {
  channels?: number;
  heads?: number;
  ffn?: number;
}

/** A smaller model, how its changed weights were cut, and what went. */
export interface StepResult {
  model: tf.LayersModel;
  masks: Map<string, Float32Array>;
  removedUnits: number;
  removedHeads: number;
  prunedGroups: number;
}

type Scores = ReadonlyMap<string, ReadonlyMap<string, Float32Array>>;

/** Masks carried onto `smaller`: cut where its weights shrank, dropped where they went. */
function carryMasks(model: tf.LayersModel, smaller: tf.LayersModel, cut: WeightCuts, masks: Map<string, Float32Array>): Map<string, Float32Array> {
  const keyOf = new Map(keyedWeights(model).map((w) => [w.variable, w.key]));
  const cuts = new Map([...cut].map(([variable, c]) => [keyOf.get(variable)!, c]));
  const remaining = new Set(keyedWeights(smaller).map((w) => w.key));
  return new Map([...masks].filter(([key]) => remaining.has(key)).map(([key, mask]) => [key, cuts.get(key)?.(mask) ?? mask]));
}

/** Taylor scores carried onto `smaller` as masks are: a weight that shrank has its scores cut the same way. */
function carryScores(model: tf.LayersModel, smaller: tf.LayersModel, cut: WeightCuts, scores: Scores): Scores {
  const carried = new Map<string, Map<string, Float32Array>>();
  for (const layer of smaller.layers) {
    const own = scores.get(layer.name);
    if (!own) continue;
    const cutOf = new Map(model.getLayer(layer.name).weights.map((w) => [w.originalName.split('/').pop()!, cut.get(w)]));
    carried.set(layer.name, new Map([...own].map(([weight, s]) => [weight, cutOf.get(weight)?.(s) ?? s])));
  }
  return carried;
}

/**
 * Makes one step's removals on `model` (left unchanged); `scores` are taylor scores when the
 * importance is taylor (computed on `model`, so heads and feed-forward layers read them before
 * anything shrinks; cut along with the weights for the removals after). A selected layer that
 * cannot shrink is a UsageError naming it.
 */
export async function removeOnce(model: tf.LayersModel, p: PruneParams, fractions: StepFractions, masks: Map<string, Float32Array>, scores?: Scores): Promise<StepResult> {
  const importance: ImportanceKind = p.importance ?? 'l2';
  const options = { scope: p.scope, maxSparsity: p.maxSparsity, roundTo: p.roundTo };
  const feedForward = findFeedForward(connectedLayers(model).layers);
  let current = model;
  let carried = masks;
  let scored = scores;
  const result = { removedUnits: 0, removedHeads: 0, prunedGroups: 0 };
  const replace = (next: tf.LayersModel, cut: WeightCuts) => {
    carried = carryMasks(current, next, cut, carried);
    if (scored) scored = carryScores(current, next, cut, scored);
    if (current !== model) current.dispose();
    current = next;
  };
  if (fractions.heads) {
    const read = (layer: string, weight: string) => (scores ? scores.get(layer)?.get(weight) : weightValues(model, layer, weight));
    const heads = await pruneHeads(current, { ...options, sparsity: fractions.heads, importance: importance === 'bnScale' ? 'l2' : importance, read });
    result.removedHeads = heads.removedHeads;
    replace(heads.model, heads.cut);
  }
  const shrink = async (fraction: number, selected: Set<string>) => {
    const pruned = await pruneChannels(current, { ...options, sparsity: fraction, importance, selected, ...(scored ? { taylor: scored } : {}) });
    result.removedUnits += pruned.removedUnits;
    result.prunedGroups = Math.max(result.prunedGroups, pruned.prunedGroups);
    replace(pruned.model, pruned.cut);
    return pruned.refused;
  };
  if (fractions.ffn) await shrink(fractions.ffn, new Set(feedForward));
  if (fractions.channels) {
    // Selectors were checked against the stage's input: one naming a layer a head removal took picks nothing.
    const selected = new Set(pickedLayers(current, p.include, p.exclude).map((l) => l.name).filter((n) => !(p.ffn !== undefined && feedForward.includes(n))));
    const refused = await shrink(fractions.channels, selected);
    // With no explicit selection, layers that cannot shrink (the output layer) are left alone.
    const [name, why] = (p.include.length ? [...refused].filter(([n]) => selected.has(n)) : [])[0] ?? [];
    if (name) {
      current.dispose();
      throw new UsageError(`structured pruning cannot shrink ${name}: ${why}`, { hint: 'exclude that layer, or select the layers coupled with it too' });
    }
  }
  return { model: current, masks: carried, ...result };
}

/** Why `heads` or `ffn` cannot apply to a model of these connections, by field. */
export function attentionProblems(p: Pick<PruneParams, 'heads' | 'ffn'>, layers: ReadonlyArray<{ name: string; className: string; inbound: readonly string[] }>): Array<{ field: 'heads' | 'ffn'; message: string }> {
  const problems: Array<{ field: 'heads' | 'ffn'; message: string }> = [];
  if (p.heads !== undefined && !findAttentions(layers).some((a) => a.heads.length > 1)) {
    problems.push({ field: 'heads', message: 'the model has no attention with more than one head (heads joined by a Concatenate, each softmax(q·kᵀ)·v from Dense projections)' });
  }
  if (p.ffn !== undefined && findFeedForward(layers).length === 0) {
    problems.push({ field: 'ffn', message: 'the model has no feed-forward block (a Dense read only by a Dense whose output joins an Add)' });
  }
  return problems;
}
