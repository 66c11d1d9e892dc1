import { builtinStages } from '../stages/builtin.js';
import { loadRecipe } from '../recipe/load.js';
import type { LoadedRecipe } from '../recipe/load.js';

/** Loads a recipe with the built-in stages, applying `--set` values. */
export function loadWithBuiltins(file: string, set: string[] = []): LoadedRecipe {
  return loadRecipe(file, { registry: builtinStages(), set });
}

/** How progress is shown: JSON lines, a listr2 task list on a terminal, or plain lines. */
export function outputMode(json: boolean | undefined): 'json' | 'tty' | 'plain' {
  if (json) return 'json';
  return process.stdout.isTTY && !process.env.CI ? 'tty' : 'plain';
}
