// `prune` with method structured: remove whole coupled channels, at once or in steps with
// training in between (the polynomial schedule's sparsity at each step).
import type * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../errors.js';
import { polynomialSparsity } from '../../compress/schedule.js';
import { layersModelOf } from '../../model/kind.js';
import { applyMasks, selectLayers } from '../../model/weights.js';
import type { ModelState } from '../../types/model-state.js';
import { deriveSeed } from '../../util/prng.js';
import type { StageContext, StageResult } from '../types.js';
import { adaptAfterStage } from '../train/bn-adaptation.js';
import { trainWith, trainingMetrics } from '../train/train.js';
import { taylorScores } from './taylor.js';
import type { PruneParams } from './params.js';
import { removeOnce } from './removals.js';
import type { StepFractions } from './removals.js';

/** One removal: the smaller state and what it removed. */
interface Shrunk { state: ModelState; removedUnits: number; removedHeads: number; prunedGroups: number }

/**
 * Removes each kind's fraction (of the model as it is now) from `state`. `mayRemoveNothing`: a
 * later round whose fractions round to nothing in any group hands the state on.
 */
async function shrinkOnce(ctx: StageContext<PruneParams>, p: PruneParams, state: ModelState, fractions: StepFractions, mayRemoveNothing: boolean): Promise<Shrunk> {
  const model = layersModelOf(state.model, ctx.name);
  const taylor = p.importance === 'taylor' ? taylorScores(model, ctx.data, ctx.outputsOf(), p.batchSize) : undefined;
  const result = await removeOnce(model, p, fractions, state.masks, taylor);
  if (result.prunedGroups === 0 && result.removedHeads === 0) {
    if (result.model !== model) result.model.dispose();
    if (mayRemoveNothing) return { state, removedUnits: 0, removedHeads: 0, prunedGroups: 0 };
    if (p.heads !== undefined || p.ffn !== undefined) {
      throw new UsageError(`structured pruning removed nothing: ${describeFractions(fractions)} of this model round to no head, neuron or channel`, { hint: 'raise heads/ffn (a fraction of each attention\'s heads below 1/(2·heads) keeps them all), or use fewer steps' });
    }
    throw new UsageError('no selected layer can lose units: every group of coupled channels reaches the model\'s output, a model input or a layer structured pruning does not know', { hint: 'include the hidden layers, not the output layer' });
  }
  applyMasks(result.model, result.masks);
  const { removedUnits, removedHeads, prunedGroups } = result;
  return { state: ctx.weightsChanged(state, { model: result.model, masks: result.masks }), removedUnits, removedHeads, prunedGroups };
}

/** `heads 0.2, ffn 0.1` for a message. */
function describeFractions(fractions: StepFractions): string {
  return Object.entries(fractions).filter(([, f]) => f !== undefined).map(([kind, f]) => `${kind === 'channels' ? 'sparsity' : kind} ${+(f as number).toFixed(3)}`).join(', ');
}

/** Each kind's cumulative target at step `k` of `steps` (the polynomial's, or the final at once). */
function targetsAt(p: PruneParams, k: number, steps: number): StepFractions {
  const at = (final: number | undefined) => (final === undefined ? undefined
    : p.schedule.kind === 'polynomial' ? polynomialSparsity(k / steps, p.schedule.initialSparsity, final, p.schedule.power) : final);
  return { channels: at(p.sparsity as number | undefined), heads: at(p.heads), ffn: at(p.ffn) };
}

/** The fraction of what is left that each kind must lose to go from `before` to `after` removed. */
function stepFractions(before: StepFractions, after: StepFractions): StepFractions {
  const step = (from = 0, to?: number) => (to === undefined ? undefined : 1 - (1 - to) / (1 - from));
  return { channels: step(before.channels, after.channels), heads: step(before.heads, after.heads), ffn: step(before.ffn, after.ffn) };
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
  // The check refuses per-layer maps and stage proposals for method structured.
  if (typeof p.sparsity === 'object' || typeof p.sparsity === 'string') throw new Error('internal error: structured pruning got a sparsity that is not one number');
  const steps = p.schedule.kind === 'polynomial' ? (p.steps ?? p.schedule.epochs) : 1;
  // Selectors are checked once, on the input: a head removal may take a layer one of them names.
  selectLayers(layersModelOf(ctx.input.model, ctx.name), p.include, p.exclude);
  let state = ctx.input;
  const total = { removedUnits: 0, removedHeads: 0, prunedGroups: 0 };
  let removed: StepFractions = {};
  const history: Array<Record<string, number>> = [];
  for (let k = 1; k <= steps; k++) {
    const targets = targetsAt(p, k, steps);
    const shrunk = await shrinkOnce(ctx, p, state, stepFractions(removed, targets), k > 1);
    if (state !== ctx.input && shrunk.state !== state) (state.model as tf.LayersModel).dispose();
    state = shrunk.state;
    removed = targets;
    total.removedUnits += shrunk.removedUnits;
    total.removedHeads += shrunk.removedHeads;
    total.prunedGroups = Math.max(total.prunedGroups, shrunk.prunedGroups);
    const epochs = p.schedule.kind === 'polynomial' ? epochsAfterStep(k, steps, p.schedule.epochs) : 0;
    if (epochs > 0) history.push(...await trainStep(ctx, p, state, epochs, k, targets.channels ?? targets.ffn ?? targets.heads ?? 0));
  }
  const adapted = adaptAfterStage(state.model, ctx.data, p);
  const { removedHeads, ...counts } = total;
  return { state, metrics: { ...counts, ...(p.heads !== undefined ? { removedHeads } : {}), ...trainingMetrics(history), ...(steps > 1 ? { pruneSteps: steps } : {}), ...adapted }, history };
}

/** Trains the shrunk model between steps, masks kept, with no mid-stage checkpoints. */
async function trainStep(ctx: StageContext<PruneParams>, p: PruneParams, state: ModelState, epochs: number, step: number, fraction: number) {
  const model = layersModelOf(state.model, ctx.name);
  const stepCtx = { ...ctx, input: state, params: { ...p, epochs }, seed: deriveSeed(ctx.seed, `step:${step}`), resume: undefined, saveSnapshot: async () => {} };
  return trainWith(stepCtx, { masks: state.masks, keepMasks: true, extra: () => ({ pruneStep: step, channelFraction: fraction }) }, model);
}
