import type { PruneScope } from '../../compress/masks.js';
import type { PruneSchedule as ResolvedPruneSchedule, PruneStage, StageParams } from '../../recipe/types.js';

/**
 * A pruning schedule: all at once, or gradually while training (Zhu & Gupta). The resolved
 * schedule always has the polynomial fields (defaults filled); only `polynomial` reads them.
 */
export type PruneSchedule =
  | { kind: 'oneShot' }
  | ({ kind: 'polynomial' } & Omit<ResolvedPruneSchedule, 'kind'>);

/** Fields of a `prune` stage, generated from the schema (the schedule seen as {@link PruneSchedule}). */
export type PruneParams = Omit<StageParams<PruneStage>, 'schedule'> & { schedule: PruneSchedule };

// Compile-time checks against drift: every resolved schedule is a PruneSchedule (a new kind fails
// here), and the scope names are those of the masks module.
type Assignable<T extends U, U> = T;
type _ScheduleCovered = Assignable<ResolvedPruneSchedule, PruneSchedule>;
type _ScopeCovered = Assignable<PruneStage['scope'], PruneScope>;
