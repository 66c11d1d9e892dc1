import { CHECKPOINT_FORMAT } from '../store/checkpoint.js';
import { hashValue } from '../util/hash.js';
import type { StageSpec } from '../recipe/types.js';

/** What a stage's result depends on. Same inputs, same fingerprint, same result. */
export interface StageInputs {
  stage: StageSpec;
  /** Fingerprint of the model the stage reads (the previous stage's, or the initial model's). */
  input: string;
  /** Fingerprints of other stages it reads (a distillation teacher). */
  references: string[];
  data: string;
  seed: number;
  backend: string;
}

/** hash(stage type + resolved params + input fingerprint + data + seed + backend + format version). */
export function stageFingerprint(inputs: StageInputs): string {
  return hashValue({ ...inputs, format: CHECKPOINT_FORMAT });
}

/** Fingerprint of the model before the first stage: its spec (and file hash), seed, data, backend. */
export function initialFingerprint(model: unknown, modelFileHash: string | undefined, data: string, seed: number, backend: string): string {
  return hashValue({ model, modelFileHash, data, seed, backend, format: CHECKPOINT_FORMAT });
}
