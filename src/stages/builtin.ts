import * as builtins from './builtin-list.js';
import { StageRegistry } from './registry.js';
import type { StageDefinition } from './types.js';

/** A registry holding condense's built-in stage types (those of builtin-list.ts). */
export function builtinStages(): StageRegistry {
  const registry = new StageRegistry();
  for (const definition of Object.values(builtins) as StageDefinition[]) registry.register(definition);
  return registry;
}
