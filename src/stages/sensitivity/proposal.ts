// `sparsity: stage:<name>`: a later stage takes the per-layer levels a sensitivity stage proposed.
import { UsageError } from '../../errors.js';
import { stageTargetName } from '../../model/layer-targets.js';
import type { LayerTarget } from '../../model/layer-targets.js';
import type { StageSpec } from '../../recipe/types.js';
import type { StageCheckProblem, StageContext } from '../types.js';

/** The stage type whose proposals `stage:<name>` reads. */
export const SENSITIVITY_TYPE = 'sensitivity';

/** The stages a target reads (the one it names), for a stage's `references`. */
export function targetReferences(target: unknown): string[] {
  const name = stageTargetName(target);
  return name === undefined ? [] : [name];
}

/** Problems of a `stage:<name>` target at `field`: it must name an earlier sensitivity stage. */
export function stageTargetProblems(target: unknown, earlier: readonly StageSpec[], field: string): StageCheckProblem[] {
  const name = stageTargetName(target);
  if (name === undefined) return [];
  const stage = earlier.find((s) => s.name === name);
  const sensitivity = earlier.filter((s) => s.type === SENSITIVITY_TYPE).map((s) => s.name);
  const hint = sensitivity.length ? `earlier sensitivity stages: ${sensitivity.join(', ')}` : 'add a `type: sensitivity` stage before this one';
  if (!stage) return [{ path: [field], message: `"${target as string}" names no earlier stage`, hint }];
  if (stage.type !== SENSITIVITY_TYPE) return [{ path: [field], message: `stage "${name}" is a ${stage.type} stage: only a sensitivity stage proposes per-layer levels`, hint }];
  return [];
}

/**
 * The target as numbers: a number or map as given, or for `stage:<name>` the per-layer levels
 * that stage proposed (from its checkpoint's record).
 */
export function resolveLayerTarget(ctx: Pick<StageContext<unknown>, 'stageRecord'>, target: LayerTarget | string): LayerTarget {
  const name = stageTargetName(target);
  if (name === undefined) return target as LayerTarget;
  if (!ctx.stageRecord) throw new Error('internal error: this stage context cannot read earlier stages\' records');
  const proposal = ctx.stageRecord(name).sensitivity?.proposal;
  if (!proposal) throw new UsageError(`stage "${name}" recorded no sensitivity proposal`, { hint: 'name a `type: sensitivity` stage' });
  return proposal;
}
