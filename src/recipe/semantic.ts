import type { RecipeProblem } from '../errors.js';
import { BROWSER_GATE_EXAMPLES, browserGateProblem } from '../browser/gate-paths.js';
import { didYouMean } from '../util/suggest.js';
import type { Locator } from './origins.js';
import { modelSpecProblems, viewOfSpec } from '../model/architecture.js';
import type { StageRegistry } from '../stages/registry.js';
import { stageProblems } from '../stages/walk.js';
import type { Recipe } from './types.js';

/**
 * Metrics a gate may name: the report's metric keys (bounds on the final value; docs/recipe-language.md; mae and
 * rmse for `task: regression`), and the
 * relative ones, against the first stage's model: accuracyDrop (first accuracy − final accuracy)
 * sizeRatio (final sizeBytes / float32 sizeBytes of the first stage's model) and macsRatio (final macs / the baseline's).
 */
const GATE_METRICS = ['accuracy', 'agreement', 'loss', 'mae', 'rmse', 'params', 'nonzeroParams', 'sparsity', 'sizeBytes', 'gzipBytes', 'brotliBytes', 'macs', 'latencyMs', 'latencyMs32', 'accuracyDrop', 'sizeRatio', 'downloadRatio', 'macsRatio'];

/**
 * Checks the schema cannot express: unique stage names, `model` naming exactly one of
 * builtin/path, each stage type's own checks (through the stage interface), gates on known metrics.
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
  });
  for (const p of modelSpecProblems(recipe.model)) add(['model', ...p.path], p.message, 'model', p.hint, p.key);
  if (registry) {
    for (const p of stageProblems(recipe, registry, viewOfSpec(recipe.model))) add(p.path, p.message, p.keyword, p.hint, p.key);
  }
  for (const name of Object.keys(recipe.gates ?? {})) {
    if (name.startsWith('browser.')) {
      const why = browserGateProblem(name);
      if (why) add(['gates', name], `gate on unknown browser figure "${name}": ${why}`, 'gate', `e.g. ${BROWSER_GATE_EXAMPLES.join(', ')}`, true);
    } else if (!GATE_METRICS.includes(name)) {
      add(['gates', name], `gate on unknown metric "${name}"`, 'gate', didYouMean(name, GATE_METRICS) ?? `metrics: ${GATE_METRICS.join(', ')}`, true);
    }
  }
  return problems;
}
