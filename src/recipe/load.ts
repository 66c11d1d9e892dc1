import { dirname, resolve } from 'node:path';
import { stringify } from 'yaml';
import { RecipeError } from '../errors.js';
import type { RecipeProblem } from '../errors.js';
import type { StageRegistry } from '../stages/registry.js';
import { hashValue } from '../util/hash.js';
import { applyOverrides, defaultStageNames, interpolateVars, parseOverrides } from './resolve.js';
import { buildRecipeSchema } from './schema.js';
import { semanticProblems } from './semantic.js';
import { codeFrame, readRecipeSource } from './source.js';
import type { RecipeSource } from './source.js';
import type { Recipe } from './types.js';
import { schemaProblems } from './validate.js';

/** A recipe read, resolved and validated, with where it came from. */
export interface LoadedRecipe {
  /** Path of the recipe file as given. */
  file: string;
  /** Directory relative paths in the recipe are resolved against. */
  dir: string;
  source: RecipeSource;
  recipe: Recipe;
  /** sha256 of the resolved recipe's canonical JSON. */
  hash: string;
}

/** Options of {@link loadRecipe}. */
export interface LoadOptions {
  registry: StageRegistry;
  /** `--set PATH=VALUE` arguments, applied before vars and validation. */
  set?: readonly string[];
}

/**
 * Reads a recipe, applies `--set` and `${vars.NAME}`, fills defaults and validates it against the
 * schema and the semantic checks. Every problem is reported at once as a located RecipeError.
 */
export function loadRecipe(file: string, options: LoadOptions): LoadedRecipe {
  const source = readRecipeSource(file);
  const value = structuredClone(source.value) as Record<string, unknown>;
  applyOverrides(value, parseOverrides(options.set ?? []));
  const problems: RecipeProblem[] = interpolateVars(value, source);
  defaultStageNames(value);
  if (!problems.length) problems.push(...schemaProblems(value, buildRecipeSchema(options.registry), source));
  if (!problems.length) problems.push(...semanticProblems(value as unknown as Recipe, source));
  if (problems.length) throw new RecipeError(problems.map((p) => ({ ...p, frame: codeFrame(source.text, p.line, p.col) })));
  const recipe = value as unknown as Recipe;
  return { file, dir: dirname(resolve(file)), source, recipe, hash: hashValue(recipe) };
}

/** The resolved recipe as YAML: deterministic (same recipe, same bytes). */
export function resolvedYaml(recipe: Recipe): string {
  return stringify(recipe, { lineWidth: 0, sortMapEntries: false });
}
