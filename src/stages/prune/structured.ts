// `prune` with method structured: remove whole coupled channels, at once or in steps with
// training in between (the polynomial schedule's sparsity at each step).
import type * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../errors.js';
import { pruneChannels } from '../../compress/depgraph/prune-channels.js';
import { polynomialSparsity } from '../../compress/schedule.js';
import { layersModelOf } from '../../model/kind.js';
import { applyMasks, keyedWeights, selectLayers } from '../../model/weights.js';
import type { ModelState } from '../../types/model-state.js';
import { deriveSeed } from '../../util/prng.js';
import type { StageContext, StageResult } from '../types.js';
import { adaptAfterStage } from '../train/bn-adaptation.js';
import { trainWith, trainingMetrics } from '../train/train.js';
import { taylorScores } from './taylor.js';
import type { PruneParams } from './params.js';

/** One removal: the smaller state and what it removed. */
interface Shrunk { state: ModelState; removedUnits: number; prunedGroups: number }

/**
 * Removes `fraction` of the selected groups' channels (of the model as it is now) from `state`.
 * `mayRemoveNothing`: a later round whose fraction rounds to no channel in any group hands the state on.
 */
async function shrinkOnce(ctx: StageContext<PruneParams>, p: PruneParams, state: ModelState, fraction: number, mayRemoveNothing: boolean): Promise<Shrunk> {
  const model = layersModelOf(state.model, ctx.name);
  const selected = new Set(selectLayers(model, p.include, p.exclude).map((l) => l.name));
  const importance = p.importance ?? 'l2';
  const taylor = importance === 'taylor' ? taylorScores(model, ctx.data, ctx.outputsOf(), p.batchSize) : undefined;
  const result = await pruneChannels(model, {
    sparsity: fraction, scope: p.scope, maxSparsity: p.maxSparsity, roundTo: p.roundTo, importance, selected, ...(taylor ? { taylor } : {}),
  });
  // With no explicit selection, layers that cannot shrink (the output layer) are left alone.
  const refused = p.include.length ? [...result.refused].filter(([name]) => selected.has(name)) : [];
  if (!refused.length && result.prunedGroups === 0 && mayRemoveNothing) {
    result.model.dispose();
    return { state, removedUnits: 0, prunedGroups: 0 };
  }
  if (refused.length || result.prunedGroups === 0) {
    result.model.dispose();
    const [name, why] = refused[0] ?? [];
    if (name) throw new UsageError(`structured pruning cannot shrink ${name}: ${why}`, { hint: 'exclude that layer, or select the layers coupled with it too' });
    throw new UsageError('no selected layer can lose units: every group of coupled channels reaches the model\'s output, a model input or a layer structured pruning does not know', { hint: 'include the hidden layers, not the output layer' });
  }
  const keyOf = new Map(keyedWeights(model).map((w) => [w.variable, w.key]));
  const cuts = new Map([...result.cut].map(([variable, cut]) => [keyOf.get(variable)!, cut]));
  const masks = new Map([...state.masks].map(([key, mask]) => [key, cuts.get(key)?.(mask) ?? mask]));
  applyMasks(result.model, masks);
  return { state: ctx.weightsChanged(state, { model: result.model, masks }), removedUnits: result.removedUnits, prunedGroups: result.prunedGroups };
}

/** Epochs of training after step `k` (1-based) of `steps`, spreading `epochs` evenly. */
function epochsAfterStep(k: number, steps: number, epochs: number): number {
  return Math.floor((k * epochs) / steps) - Math.floor(((k - 1) * epochs) / steps);
}

/**
 * Removes the weakest coupled channels (units, filters) of the selected layers: a smaller model,
 * not a sparser one. With a polynomial schedule, in `steps` removals (default: one per epoch)
 * with the schedule's epochs of training spread between them, the fraction removed so far
 * following the polynomial; the last removal is followed by training too. A stepped run does not
 * checkpoint mid-stage (the model changes shape between steps): `--resume` restarts it.
 */
export async function pruneStructured(ctx: StageContext<PruneParams>, p: PruneParams): Promise<StageResult> {
  const schedule = p.schedule;
  // The check refuses per-layer maps and stage proposals for method structured.
  if (typeof p.sparsity !== 'number') throw new Error('internal error: structured pruning got a sparsity that is not one number');
  const sparsity = p.sparsity;
  const steps = schedule.kind === 'polynomial' ? (p.steps ?? schedule.epochs) : 1;
  let state = ctx.input;
  let removedUnits = 0;
  let prunedGroups = 0;
  let removed = 0;
  const history: Array<Record<string, number>> = [];
  for (let k = 1; k <= steps; k++) {
    const target = schedule.kind === 'polynomial' ? polynomialSparsity(k / steps, schedule.initialSparsity, sparsity, schedule.power) : sparsity;
    const fraction = 1 - (1 - target) / (1 - removed);
    const shrunk = await shrinkOnce(ctx, p, state, fraction, k > 1);
    if (state !== ctx.input && shrunk.state !== state) (state.model as tf.LayersModel).dispose();
    state = shrunk.state;
    removed = target;
    removedUnits += shrunk.removedUnits;
    prunedGroups = Math.max(prunedGroups, shrunk.prunedGroups);
    const epochs = schedule.kind === 'polynomial' ? epochsAfterStep(k, steps, schedule.epochs) : 0;
    if (epochs > 0) history.push(...await trainStep(ctx, p, state, epochs, k, target));
  }
  const adapted = adaptAfterStage(state.model, ctx.data, p);
  return { state, metrics: { removedUnits, prunedGroups, ...trainingMetrics(history), ...(steps > 1 ? { pruneSteps: steps } : {}), ...adapted }, history };
}

/** Trains the shrunk model between steps, masks kept, with no mid-stage checkpoints. */
async function trainStep(ctx: StageContext<PruneParams>, p: PruneParams, state: ModelState, epochs: number, step: number, fraction: number) {
  const model = layersModelOf(state.model, ctx.name);
  const stepCtx = { ...ctx, input: state, params: { ...p, epochs }, seed: deriveSeed(ctx.seed, `step:${step}`), resume: undefined, saveSnapshot: async () => {} };
  return trainWith(stepCtx, { masks: state.masks, afterStep: () => applyMasks(model, state.masks), extra: () => ({ pruneStep: step, channelFraction: fraction }) }, model);
}
