// `prune: { method: layers, drop: [...] }`: whole residual branches or blocks dropped.
import { layersModelOf } from '../../model/kind.js';
import { keyedWeights } from '../../model/weights.js';
import { dropLayers } from '../../compress/depgraph/drop-model.js';
import { planRemovals } from '../../compress/depgraph/drop-layers.js';
import type { ModelView, StageCheckProblem, StageContext, StageResult } from '../types.js';

/** The fields method layers reads (`remove` is taken: it is the merge directive of `extends`). */
export interface DropParams {
  drop?: string[];
}

/**
 * What `validate`/`plan` can say about `drop` from the model they see: with its connections
 * known (the built model), each target is planned and refused where it is not a residual branch
 * or a block; before that, only a Sequential model is refused.
 */
export function removalProblems(p: DropParams, model: ModelView): StageCheckProblem[] {
  if (!p.drop?.length) return [{ path: [], message: 'prune with method layers needs "drop"', hint: 'e.g. drop: [block2] or drop: [block1_ffn_add]' }];
  if (model.topology === 'sequential') {
    return [{ path: ['method'], message: 'method layers removes residual branches, and a Sequential model has none', hint: 'use method structured to make its layers narrower' }];
  }
  const layers = model.layers;
  if (!layers?.every((l) => l.inbound)) return [];
  const plan = planRemovals(layers.map((l) => ({ name: l.name, className: l.className, inbound: l.inbound! })), p.drop);
  if (!('problem' in plan)) return [];
  return [{ path: ['drop', plan.index], message: `cannot remove ${p.drop[plan.index]}: ${plan.problem}`, ...(plan.hint ? { hint: plan.hint } : {}) }];
}

/** Drops the named branches and blocks; the masks of the weights that remain are kept. */
export async function pruneLayers(ctx: StageContext<DropParams>): Promise<StageResult> {
  const { input } = ctx;
  const model = layersModelOf(input.model, ctx.name);
  const { model: smaller, removals } = await dropLayers(model, ctx.params.drop ?? []);
  const kept = new Set(keyedWeights(smaller).map((w) => w.key));
  const masks = new Map([...input.masks].filter(([key]) => kept.has(key)));
  const removedLayers = removals.reduce((n, r) => n + r.removed.length, 0);
  return { state: ctx.weightsChanged(input, { model: smaller, masks }), metrics: { removedLayers } };
}
