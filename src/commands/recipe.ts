import { RecipeError } from '../errors.js';
import type { RecipeProblem } from '../errors.js';
import { resolvedYaml } from '../recipe/load.js';
import { buildRecipeSchema } from '../recipe/schema.js';
import { builtinStages } from '../stages/builtin.js';
import type { BackendRequest } from '../backend/names.js';
import { preflight } from '../runner/preflight.js';
import { loadForCommand } from './shared.js';

/**
 * `condense validate`: every problem in every file (the recipe, then, unless `--recipe-only`, its
 * data, its model and the stages' rules on that model); exit 2 if any.
 */
export async function validateCommand(files: string[], flags: { json?: boolean; recipeOnly?: boolean; backend?: BackendRequest }): Promise<void> {
  const problems: RecipeProblem[] = [];
  for (const file of files) {
    try {
      const loaded = await loadForCommand(file);
      // The data and the model too, as the start of a run checks them: a run that validates starts.
      if (!flags.recipeOnly) await preflight(loaded, flags.backend);
      if (!flags.json) process.stdout.write(`${file}: valid\n`);
    } catch (err) {
      if (!(err instanceof RecipeError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length) throw new RecipeError(problems);
  if (flags.json) process.stdout.write('[]\n');
}

/** `condense resolve`: the recipe with vars, --set and defaults applied. */
export async function resolveCommand(file: string, flags: { set: string[]; json?: boolean }): Promise<void> {
  const { recipe } = await loadForCommand(file, flags.set);
  process.stdout.write(flags.json ? JSON.stringify(recipe, null, 2) + '\n' : resolvedYaml(recipe));
}

/** `condense schema`: the recipe JSON Schema built from the registered stages. */
export async function schemaCommand(): Promise<void> {
  process.stdout.write(JSON.stringify(buildRecipeSchema(builtinStages()), null, 2) + '\n');
}
