import type { Recipe } from '../recipe/types.js';
import type { StageRegistry } from '../stages/registry.js';
import type { CheckpointProbe } from '../store/checkpoint.js';
import { stageFingerprint } from './fingerprint.js';

/** What the runner will do with a stage. */
export type StepAction = 'cached' | 'run';

/** One planned stage. */
export interface PlanStep {
  index: number;
  name: string;
  type: string;
  /** Checkpoint directory relative to the run directory: `stages/NN-name`. */
  dir: string;
  fingerprint: string;
  action: StepAction;
  /** Why it runs (or `checkpoint matches`). */
  reason: string;
}

/** Directory of stage `index` (0-based) inside the run directory. */
export function stageDir(index: number, name: string): string {
  return `stages/${String(index + 1).padStart(2, '0')}-${name}`;
}

/**
 * Plans a run without touching the disk: fingerprints chain from the initial model through each
 * stage; a stage is cached when a verified checkpoint with its fingerprint exists.
 */
export function planStages(
  recipe: Recipe,
  registry: StageRegistry,
  inputs: { initial: string; data: string; backend: string },
  probe: (dir: string) => CheckpointProbe,
): PlanStep[] {
  const byName = new Map<string, string>();
  let input = inputs.initial;
  let upstreamRuns = false;
  return recipe.stages.map((stage, index) => {
    const definition = registry.get(stage.type)!;
    const references = (definition.references?.(stage as never) ?? []).map((r) => byName.get(r) ?? `missing:${r}`);
    const fingerprint = stageFingerprint({ stage, input, references, data: inputs.data, seed: recipe.seed, backend: inputs.backend });
    byName.set(stage.name, fingerprint);
    input = fingerprint;
    const dir = stageDir(index, stage.name);
    const found = probe(dir);
    let action: StepAction = 'run';
    let reason: string;
    if (found.kind === 'missing') reason = 'no checkpoint';
    else if (found.kind === 'invalid') reason = `checkpoint invalid (${found.reason}); recomputing`;
    else if (found.fingerprint !== fingerprint) reason = upstreamRuns ? 'an earlier stage changed' : 'stage settings changed';
    else {
      action = 'cached';
      reason = 'checkpoint matches';
    }
    if (action === 'run') upstreamRuns = true;
    return { index, name: stage.name, type: stage.type, dir, fingerprint, action, reason };
  });
}
