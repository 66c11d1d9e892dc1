// What is known about a model from its spec alone, before TF.js builds it: the recipe checks and
// the stages' own checks read this, so loading a recipe never imports TF.js.
import type { ModelSpec } from '../recipe/types.js';
import type { ModelView } from '../stages/types.js';

/** Builtin architectures and how their layers connect. */
const BUILTIN_TOPOLOGY: Record<NonNullable<ModelSpec['builtin']>, 'sequential' | 'functional'> = {
  mlp: 'sequential',
  lenet5: 'sequential',
  textmlp: 'sequential',
  bert: 'functional',
  mobilenet: 'functional',
};

/** The view of a model spec before it is built: its topology for builtins, nothing for files. */
export function viewOfSpec(spec: ModelSpec): ModelView {
  return spec.builtin ? { spec, topology: BUILTIN_TOPOLOGY[spec.builtin] } : { spec };
}

/** `a`, `a and b`, `a, b and c`. */
function inWords(names: string[]): string {
  return names.length < 3 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** A problem in a model spec, at a path relative to the spec. */
export interface ModelSpecProblem {
  path: string[];
  message: string;
  hint?: string;
  /** The problem is about the key itself (located at the key rather than its value). */
  key?: boolean;
}

/**
 * Exactly one of builtin/path, and size fields only where they apply.
 * @param what names the spec in messages: `model` (default) or `a student`.
 */
export function modelSpecProblems(m: ModelSpec, what = 'model'): ModelSpecProblem[] {
  if ((m.builtin === undefined) === (m.path === undefined)) {
    return [{ path: [], message: `${what} needs exactly one of "builtin" and "path"`, hint: 'e.g. builtin: mlp, or path: ./model/model.json' }];
  }
  const only = (field: keyof ModelSpec, builtins: string[]): ModelSpecProblem[] =>
    m[field] !== undefined && !builtins.includes(m.builtin ?? '')
      ? [{ path: [field], message: `"${field}" applies only to builtin: ${inWords(builtins)}`, key: true }]
      : [];
  const misplaced = [...only('hidden', ['mlp', 'textmlp', 'lenet5']), ...only('dropout', ['mlp']), ...only('filters', ['lenet5']), ...only('padding', ['lenet5']), ...only('dim', ['textmlp', 'bert', 'mobilenet']), ...only('layers', ['bert', 'mobilenet']), ...only('heads', ['bert'])];
  if (misplaced.length) return misplaced.slice(0, 1);
  if (m.builtin === 'bert' && (m.dim ?? 64) % (m.heads ?? 2) !== 0) {
    return [{ path: [m.dim !== undefined ? 'dim' : 'heads'], message: `bert: dim (${m.dim ?? 64}) must be a multiple of heads (${m.heads ?? 2})` }];
  }
  return [];
}
