import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types.js';
import { RecipeError } from '../errors.js';
import type { RecipeProblem } from '../errors.js';
import { accuracyAndLoss, parameterStats } from '../model/evaluate.js';
import { selectorMatches } from '../model/weights.js';
import { pointAt } from '../recipe/load.js';
import type { LoadedRecipe } from '../recipe/load.js';
import type { Metrics } from '../stages/types.js';
import { didYouMean } from '../util/suggest.js';

/** Metrics measured after every stage: held-out accuracy and loss, parameter counts, sparsity. */
export function quickMetrics(model: tf.LayersModel, data: Dataset): Metrics {
  return { ...accuracyAndLoss(model, data.test, data), ...parameterStats(model) };
}

const SELECTOR_FIELDS: Array<{ type: string; path: string[] }> = [
  { type: 'prune', path: ['include'] },
  { type: 'prune', path: ['exclude'] },
  { type: 'quantize', path: ['weights', 'include'] },
  { type: 'quantize', path: ['weights', 'exclude'] },
];

/**
 * Checks, before any stage runs, that every layer selector of the stages that read the initial
 * model's layers matches a layer; each one that doesn't is a located recipe problem.
 * Checking stops at a distill stage with its own student (its layers are another model's).
 */
export function checkSelectors(loaded: LoadedRecipe, model: tf.LayersModel): void {
  const problems: RecipeProblem[] = [];
  const names = model.layers.map((l) => l.name);
  for (const [i, stage] of loaded.recipe.stages.entries()) {
    if (stage.type === 'distill' && stage.student) break;
    for (const field of SELECTOR_FIELDS.filter((f) => f.type === stage.type)) {
      let list: unknown = stage;
      for (const seg of field.path) list = (list as Record<string, unknown> | undefined)?.[seg];
      (Array.isArray(list) ? list as string[] : []).forEach((selector, j) => {
        let matches: boolean;
        let message = `selector "${selector}" matches no layer of the model`;
        try {
          matches = model.layers.some((l) => selectorMatches(selector, l));
        } catch {
          matches = false;
          message = `selector "${selector}" is not a valid regular expression`;
        }
        if (matches) return;
        const path = ['stages', i, ...field.path, j];
        const { frame, ...pos } = pointAt(loaded, path);
        problems.push({
          ...pos, path: '/' + path.join('/'), keyword: 'selector',
          message,
          hint: didYouMean(selector, names) ?? `layers: ${model.layers.map((l) => `${l.name} (${l.getClassName()})`).join(', ')}`,
          frame,
        });
      });
    }
  }
  if (problems.length) throw new RecipeError(problems);
}
