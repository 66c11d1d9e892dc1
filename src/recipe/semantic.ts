import type { RecipeProblem } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import type { Locator } from './origins.js';
import type { ModelSpec, Recipe } from './types.js';
import type { StageRegistry } from '../stages/registry.js';

/**
 * Metrics a gate may name: those in RECIPE.md's report keys (bounds on the final value), and the
 * relative ones, against the first stage's model: accuracyDrop (first accuracy − final accuracy)
 * and sizeRatio (final sizeBytes / float32 sizeBytes of the first stage's model).
 */
export const GATE_METRICS = ['accuracy', 'loss', 'params', 'nonzeroParams', 'sparsity', 'sizeBytes', 'gzipBytes', 'latencyMs', 'accuracyDrop', 'sizeRatio'];

/**
 * Checks the schema cannot express: unique stage names, each stage type's own cross-field
 * checks, teacher references to earlier stages, `model` naming exactly one of builtin/path,
 * gates on known metrics.
 */
export function semanticProblems(recipe: Recipe, source: Locator, registry?: StageRegistry): RecipeProblem[] {
  const problems: RecipeProblem[] = [];
  const add = (path: Array<string | number>, message: string, keyword: string, hint?: string, key = false) =>
    problems.push({ ...source.at(path, { key }), path: '/' + path.join('/'), message, keyword, ...(hint ? { hint } : {}) });
  const seen = new Map<string, number>();
  recipe.stages.forEach((stage, i) => {
    const first = seen.get(stage.name);
    if (first !== undefined) {
      add(['stages', i, 'name'], `duplicate stage name "${stage.name}" (also stage ${first + 1})`, 'duplicate-stage',
        'give each stage a unique `name`');
    } else {
      seen.set(stage.name, i);
    }
    const { name: _name, type: _type, ...params } = stage;
    for (const p of registry?.get(stage.type)?.check?.(params) ?? []) {
      add(['stages', i, ...p.path], p.message, 'stage-check', p.hint);
    }
    const teacher = stage.teacher;
    if (stage.type === 'distill' && typeof teacher === 'string' && teacher.startsWith('stage:')) {
      const ref = teacher.slice('stage:'.length);
      const earlier = recipe.stages.slice(0, i).map((s) => s.name);
      if (!earlier.includes(ref)) {
        add(['stages', i, 'teacher'], `teacher "${teacher}" names no earlier stage`, 'stage-reference',
          didYouMean(ref, earlier) ?? (earlier.length ? `earlier stages: ${earlier.join(', ')}` : 'the teacher stage must come before this one'));
      }
    }
  });
  checkModelSpec(recipe.model, ['model'], add);
  // The builtin each stage works on: the recipe's model until a distill stage brings a student.
  let current = recipe.model.builtin;
  recipe.stages.forEach((stage, i) => {
    // A distillation student is a model spec too (builtin only: the schema has no path for it).
    if (stage.type === 'distill' && stage.student && typeof stage.student === 'object') {
      checkModelSpec(stage.student as ModelSpec, ['stages', i, 'student'], add, false);
      current = (stage.student as ModelSpec).builtin;
    }
    if (stage.type === 'prune' && stage.method === 'structured' && current === 'bert') {
      add(['stages', i, 'method'], 'structured pruning rebuilds Sequential models; builtin bert is a functional model (attention branches)', 'stage-check',
        'use method: magnitude or nm on bert, or prune the student after a distill stage');
    }
  });
  for (const name of Object.keys(recipe.gates ?? {})) {
    if (!GATE_METRICS.includes(name)) {
      add(['gates', name], `gate on unknown metric "${name}"`, 'gate', didYouMean(name, GATE_METRICS) ?? `metrics: ${GATE_METRICS.join(', ')}`, true);
    }
  }
  return problems;
}

/** Exactly one of builtin/path (where a path is allowed), and size fields only where they apply. */
function checkModelSpec(
  m: ModelSpec,
  at: Array<string | number>,
  add: (path: Array<string | number>, message: string, keyword: string, hint?: string, key?: boolean) => void,
  pathAllowed = true,
): void {
  if (pathAllowed && (m.builtin === undefined) === (m.path === undefined)) {
    add(at, 'model needs exactly one of "builtin" and "path"', 'model', 'e.g. builtin: mlp, or path: ./model/model.json');
  } else if (!pathAllowed && m.builtin === undefined) {
    add(at, 'a student needs "builtin"', 'model', 'e.g. builtin: mlp');
  } else if (m.hidden !== undefined && m.builtin !== 'mlp' && m.builtin !== 'textmlp') {
    add([...at, 'hidden'], '"hidden" applies only to builtin: mlp and textmlp', 'model', undefined, true);
  } else if (m.dim !== undefined && m.builtin !== 'textmlp' && m.builtin !== 'bert') {
    add([...at, 'dim'], '"dim" applies only to builtin: textmlp and bert', 'model', undefined, true);
  } else if (m.layers !== undefined && m.builtin !== 'bert') {
    add([...at, 'layers'], '"layers" applies only to builtin: bert', 'model', undefined, true);
  } else if (m.heads !== undefined && m.builtin !== 'bert') {
    add([...at, 'heads'], '"heads" applies only to builtin: bert', 'model', undefined, true);
  } else if (m.builtin === 'bert' && (m.dim ?? 64) % (m.heads ?? 2) !== 0) {
    add([...at, m.dim !== undefined ? 'dim' : 'heads'], `bert: dim (${m.dim ?? 64}) must be a multiple of heads (${m.heads ?? 2})`, 'model');
  }
}
