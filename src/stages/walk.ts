// The stages of a recipe in order, each with what it can know before anything runs: the model it
// receives (through earlier stages that replace the model) and the stages before it. Load-time
// checks and the runner's pre-run checks both walk the recipe through here, so neither needs to
// know any particular stage type.
import type { Recipe, StageSpec } from '../recipe/types.js';
import type { OutputOptions } from '../model/outputs.js';
import { selectorMatchesView } from '../model/selectors.js';
import { didYouMean } from '../util/suggest.js';
import type { StageRegistry } from './registry.js';
import type { ModelView, StageCheckContext, StageDefinition } from './types.js';

/** A problem a stage reported, at a path of the recipe (`['stages', i, ...]`). */
export interface StageProblem {
  path: Array<string | number>;
  message: string;
  hint?: string;
  keyword: string;
  key?: boolean;
}

/** A stage's fields without `name` and `type`. */
export function stageParams(stage: StageSpec): Record<string, unknown> {
  const { name: _name, type: _type, ...params } = stage;
  return params;
}

/** Every stage with its definition and check context, the model view carried through replacements. */
function walkStages(recipe: Recipe, registry: StageRegistry, initial: ModelView) {
  let model = initial;
  return recipe.stages.map((stage, index) => {
    const definition = registry.get(stage.type) as StageDefinition | undefined;
    const params = stageParams(stage);
    const context: StageCheckContext = { model, earlier: recipe.stages.slice(0, index), recipe };
    model = definition?.replacesModel?.(params) ?? model;
    return { index, stage, definition, params, context };
  });
}

/** Key of {@link declaredOutputs} for the model before the first stage. */
export const INITIAL_MODEL = '';

/**
 * What the recipe declares about each model's outputs (`outputs` of its spec, the recipe's `task`),
 * by the name of the stage that hands it on ({@link INITIAL_MODEL} for the initial model): a
 * stage that replaces the model (a distill student) brings its own spec.
 */
export function declaredOutputs(recipe: Recipe, registry: StageRegistry): Map<string, OutputOptions> {
  const of = (view: ModelView): OutputOptions => ({
    ...(view.spec?.outputs ? { outputs: view.spec.outputs } : {}), ...(recipe.task ? { task: recipe.task } : {}),
  });
  const walked = walkStages(recipe, registry, { spec: recipe.model });
  const out = new Map<string, OutputOptions>([[INITIAL_MODEL, of({ spec: recipe.model })]]);
  for (const { stage, definition, params, context } of walked) out.set(stage.name, of(definition?.replacesModel?.(params) ?? context.model));
  return out;
}

/**
 * Each stage's own checks, plus the one rule every stage shares: a layer selector must match a
 * layer of the model the stage receives (checked where its layers are known).
 */
export function stageProblems(recipe: Recipe, registry: StageRegistry, initial: ModelView): StageProblem[] {
  return checkStages(recipe, registry, initial, false);
}

/** The non-fatal notes of the stages' checks (severity `warning`), located like {@link stageProblems}. */
export function stageWarnings(recipe: Recipe, registry: StageRegistry, initial: ModelView): StageProblem[] {
  return checkStages(recipe, registry, initial, true);
}

function checkStages(recipe: Recipe, registry: StageRegistry, initial: ModelView, warnings: boolean): StageProblem[] {
  const problems: StageProblem[] = [];
  for (const { index, definition, params, context } of walkStages(recipe, registry, initial)) {
    if (!definition) continue;
    for (const p of definition.check?.(params, context) ?? []) {
      if ((p.severity === 'warning') !== warnings) continue;
      problems.push({ path: ['stages', index, ...p.path], message: p.message, keyword: p.keyword ?? 'stage-check', ...(p.hint ? { hint: p.hint } : {}), ...(p.key ? { key: true } : {}) });
    }
    if (context.model.format === 'graph' && !warnings) problems.push(...graphProblems(definition, params, index));
    if (context.model.layers && !warnings) problems.push(...selectorProblems(definition, params, context.model.layers, index));
  }
  return problems;
}

/** A stage that cannot take the GraphModel it receives, located at its type. */
function graphProblems(definition: StageDefinition, params: Record<string, unknown>, index: number): StageProblem[] {
  const verdict = definition.graphModels?.(params) ?? `a ${definition.type} stage trains or rebuilds the model`;
  if (verdict === true) return [];
  return [{
    path: ['stages', index, 'type'], keyword: 'graph-model',
    message: `the model is a TF.js GraphModel, which cannot be trained: ${verdict}`,
    hint: 'a GraphModel goes through one-shot prune (magnitude or nm), quantize, evaluate and export; to train it, convert the original model to a layers model (tensorflowjs_converter --output_format=tfjs_layers_model)',
  }];
}

function selectorProblems(definition: StageDefinition, params: Record<string, unknown>, layers: NonNullable<ModelView['layers']>, index: number): StageProblem[] {
  const problems: StageProblem[] = [];
  for (const field of definition.selectors ?? []) {
    let list: unknown = params;
    for (const seg of field) list = (list as Record<string, unknown> | undefined)?.[seg];
    (Array.isArray(list) ? (list as string[]) : []).forEach((selector, j) => {
      const problem = selectorProblem(selector, layers);
      if (problem) problems.push({ path: ['stages', index, ...field, j], keyword: 'selector', ...problem });
    });
  }
  return problems;
}

/** Why a selector matches no layer, with a hint, or undefined when it matches. */
function selectorProblem(selector: string, layers: NonNullable<ModelView['layers']>): { message: string; hint: string } | undefined {
  let matches: boolean;
  try {
    matches = layers.some((l) => selectorMatchesView(selector, l));
  } catch {
    return { message: `selector "${selector}" is not a valid regular expression`, hint: layerList(layers, selector) };
  }
  if (matches) return undefined;
  return { message: `selector "${selector}" matches no layer of the model`, hint: layerList(layers, selector) };
}

function layerList(layers: NonNullable<ModelView['layers']>, near: string): string {
  // A near miss of a `type:` selector (`type:Conv2d`) is near a class name, others near a layer name.
  const candidates = near.startsWith('type:') ? [...new Set(layers.map((l) => `type:${l.className}`))] : layers.map((l) => l.name);
  return didYouMean(near, candidates) ?? `layers: ${layers.map((l) => `${l.name} (${l.className})`).join(', ')}`;
}
