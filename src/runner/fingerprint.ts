import { CHECKPOINT_FORMAT } from '../store/checkpoint.js';
import type { StageSpec } from '../recipe/types.js';
import { hashValue } from '../util/hash.js';
import type { Provenance } from '../types/records.js';
import { CONDENSE_VERSION } from '../version.js';

export type { Provenance } from '../types/records.js';

/** What a stage's result depends on. Same inputs, same fingerprint, same result. */
export interface StageInputs {
  stage: StageSpec;
  /** Fingerprint of the model the stage reads (the previous stage's, or the initial model's). */
  input: string;
  /** Fingerprints of other stages it reads (a distillation teacher). */
  references: string[];
  data: string;
  seed: number;
  provenance: Provenance;
}

/** The provenance of a stage run now, on this backend build. */
export function provenanceOf(stageVersion: number, backendBuild: string, plugin?: string): Provenance {
  return { condense: CONDENSE_VERSION, stageVersion: String(stageVersion), backend: backendBuild, ...(plugin ? { plugin } : {}) };
}

/** hash(stage type + resolved params + input + references + data + seed + provenance + format version). */
export function stageFingerprint(inputs: StageInputs): string {
  return hashValue({ ...inputs, format: CHECKPOINT_FORMAT });
}

/** Fingerprint of the model before the first stage: its spec (and file hash), seed, data, condense, backend build. */
export function initialFingerprint(model: unknown, modelFileHash: string | undefined, data: string, seed: number, backendBuild: string): string {
  return hashValue({ model, modelFileHash, data, seed, backend: backendBuild, condense: CONDENSE_VERSION, format: CHECKPOINT_FORMAT });
}

/** Which part of the provenance differs, as a plan's reason; undefined when none does. */
export function provenanceChange(before: Partial<Provenance> | undefined, now: Provenance): string | undefined {
  if (!before) return undefined;
  if (before.backend !== now.backend) return `backend build changed (${buildDifference(before.backend, now.backend)})`;
  if (before.stageVersion !== now.stageVersion) return `stage version changed (${before.stageVersion ?? 'unrecorded'} → ${now.stageVersion})`;
  if (before.plugin !== now.plugin) return `plugin changed (sha256 ${short(before.plugin)} → ${short(now.plugin)})`;
  if (before.condense !== now.condense) return `condense version changed (${before.condense ?? 'unrecorded'} → ${now.condense})`;
  return undefined;
}

function short(hash: string | undefined): string {
  return hash ? `${hash.slice(0, 12)}…` : 'none';
}

/**
 * The parts of two build identifiers (`; `-separated) that differ, `old → new`: a build string
 * is long, and what a user needs to see is e.g. `blas=openblas 0.3.21 → blas=portable`.
 */
function buildDifference(before: string | undefined, now: string): string {
  if (before === undefined) return `unrecorded → ${now}`;
  const a = before.split('; ');
  const b = now.split('; ');
  const gone = a.filter((part) => !b.includes(part));
  const added = b.filter((part) => !a.includes(part));
  return `${gone.join('; ') || '(nothing)'} → ${added.join('; ') || '(nothing)'}`;
}
