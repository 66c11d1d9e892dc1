import type { Recipe, StageSpec } from '../recipe/types.js';
import { stageParams } from '../stages/walk.js';
import type { StageRegistry } from '../stages/registry.js';
import { canonicalJson } from '../util/hash.js';
import { provenanceChange, provenanceOf, stageFingerprint } from './fingerprint.js';
import type { Provenance } from './fingerprint.js';

/** What the runner will do with a stage. */
export type StepAction = 'cached' | 'run' | 'resume';

/** What is on disk for a stage, as the plan needs to know it. */
export interface StageOnDisk {
  checkpoint:
    | { kind: 'missing' }
    | { kind: 'invalid'; reason: string }
    | { kind: 'valid'; fingerprint: string; params?: Record<string, unknown>; provenance?: Partial<Provenance>; from?: 'shared-cache' };
  /** The newest valid epoch checkpoint of an unfinished run of the stage. */
  snapshot?: { epoch: number; fingerprint: string };
}

/** One planned stage. */
export interface PlanStep {
  index: number;
  name: string;
  type: string;
  /** Checkpoint directory relative to the run directory: `stages/NN-name`. */
  dir: string;
  fingerprint: string;
  /** condense, stage and backend versions behind the fingerprint (recorded in the checkpoint). */
  provenance: Provenance;
  action: StepAction;
  /** Why: `checkpoint matches`, which field changed, where a resume continues, ... */
  reason: string;
  /** Epochs already done when resuming. */
  resumeEpoch?: number;
  /** Set when `--resume` cannot continue this stage: its epoch checkpoint is another recipe's. */
  conflict?: string;
}

/** Directory of stage `index` (0-based) inside the run directory. */
export function stageDir(index: number, name: string): string {
  return `stages/${String(index + 1).padStart(2, '0')}-${name}`;
}

/** Names of the fields whose values differ between two stage parameter sets. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k])).sort();
}

/**
 * Plans a run without touching the disk: fingerprints chain from the initial model through each
 * stage; a stage is cached when a verified checkpoint with its fingerprint exists, resumed (with
 * `resume`) when an epoch checkpoint of an unfinished run with its fingerprint exists.
 */
export function planStages(
  recipe: Recipe,
  registry: StageRegistry,
  inputs: { initial: string; data: string; backendBuild: string; resume?: boolean; modelFileHash?: (path: string) => string },
  onDisk: (dir: string, fingerprint: string) => StageOnDisk,
): PlanStep[] {
  const byName = new Map<string, string>();
  let input = inputs.initial;
  let upstreamRuns = false;
  return recipe.stages.map((stage, index) => {
    const definition = registry.get(stage.type)!;
    const references = (definition.references?.(stage as never) ?? []).map((r) => byName.get(r) ?? `missing:${r}`);
    for (const file of definition.modelFiles?.(stage as never) ?? []) references.push(`file:${file}:${inputs.modelFileHash?.(file) ?? 'unhashed'}`);
    const provenance = provenanceOf(definition.version, inputs.backendBuild, registry.originOf(stage.type));
    const fingerprint = stageFingerprint({ stage, input, references, data: inputs.data, seed: recipe.seed, provenance });
    byName.set(stage.name, fingerprint);
    input = fingerprint;
    const dir = stageDir(index, stage.name);
    const found = onDisk(dir, fingerprint);
    const step: PlanStep = { index, name: stage.name, type: stage.type, dir, fingerprint, provenance, action: 'run', reason: '' };
    const c = found.checkpoint;
    if (c.kind === 'valid' && c.fingerprint === fingerprint) {
      step.action = 'cached';
      step.reason = c.from === 'shared-cache' ? 'in the shared stage cache' : 'checkpoint matches';
    } else if (found.snapshot && found.snapshot.fingerprint === fingerprint && inputs.resume && !upstreamRuns) {
      step.action = 'resume';
      step.resumeEpoch = found.snapshot.epoch;
      step.reason = `continues after epoch ${found.snapshot.epoch}`;
    } else {
      step.reason = runReason(c, stage, upstreamRuns, provenance);
      if (found.snapshot) {
        if (found.snapshot.fingerprint !== fingerprint && inputs.resume) {
          step.conflict = `stage "${stage.name}" has an epoch checkpoint written for a different recipe or input (fingerprint ${found.snapshot.fingerprint.slice(0, 12)}…, now ${fingerprint.slice(0, 12)}…)`;
        }
        step.reason += inputs.resume ? '' : `; an interrupted run stopped after epoch ${found.snapshot.epoch}: restarting (use --resume to continue it)`;
      }
    }
    if (step.action !== 'cached') upstreamRuns = true;
    return step;
  });
}

function runReason(c: StageOnDisk['checkpoint'], stage: Record<string, unknown>, upstreamRuns: boolean, provenance: Provenance): string {
  if (c.kind === 'missing') return 'no checkpoint';
  if (c.kind === 'invalid') return `checkpoint invalid (${c.reason}); recomputing`;
  // A changed backend build or stage version is the cause for every stage, not only the first.
  const rebuilt = provenanceChange(c.provenance, provenance);
  if (rebuilt) return rebuilt;
  if (upstreamRuns) return 'an earlier stage runs';
  const changed = c.params ? changedFields(c.params, stageParams(stage as StageSpec)) : [];
  return changed.length ? `changed: ${changed.join(', ')}` : 'its input changed';
}
