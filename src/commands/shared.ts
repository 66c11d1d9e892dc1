import { builtinStages } from '../stages/builtin.js';
import { loadRecipeWithPlugins } from '../recipe/load.js';
import type { LoadedRecipe } from '../recipe/load.js';

/**
 * Loads a recipe for a command: the built-in stage types plus those of the recipe's `plugins`,
 * with `--set` values applied. Run it with the returned `registry`.
 */
export function loadForCommand(file: string, set: string[] = []): Promise<LoadedRecipe> {
  return loadRecipeWithPlugins(file, { registry: builtinStages(), set });
}

/** How progress is shown: JSON lines, a listr2 task list on a terminal, or plain lines. */
export function outputMode(json: boolean | undefined): 'json' | 'tty' | 'plain' {
  if (json) return 'json';
  return process.stdout.isTTY && !process.env.CI ? 'tty' : 'plain';
}
