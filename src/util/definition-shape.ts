/** How a plugin's definition (of a stage type or a dataset) must look, for {@link definitionShapeProblem}. */
export interface DefinitionShape {
  /** The identifying field (`type` of a stage, `name` of a dataset) and an example value. */
  id: { field: string; example: string };
  /** The function it must have, as shown in the message: `run(ctx)`, `load(spec, ctx)`. */
  fn: { field: string; shown: string };
  /** Fields condense adds itself, which `properties` may not redefine, and what it adds them to. */
  reserved: readonly string[];
  noun: string;
  /** What the version is raised for, in the message. */
  versionWhen: string;
}

/** What is wrong with the shape of a plugin's definition, or undefined: one check for stages and datasets. */
export function definitionShapeProblem(d: unknown, shape: DefinitionShape): string | undefined {
  if (d === null || typeof d !== 'object') return 'is not an object';
  const def = d as Record<string, unknown>;
  const id = def[shape.id.field];
  if (typeof id !== 'string' || !/^[a-z][a-z0-9._-]*$/.test(id)) return `needs a \`${shape.id.field}\`: a lowercase name like "${shape.id.example}"`;
  if (typeof def.description !== 'string') return 'needs a `description` string';
  if (!Number.isInteger(def.version) || (def.version as number) < 1) return `needs a \`version\`: an integer ≥ 1, raised whenever ${shape.versionWhen}`;
  const properties = def.properties;
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) return 'needs `properties`: a mapping of field name to JSON Schema';
  const reserved = shape.reserved.filter((k) => Object.prototype.hasOwnProperty.call(properties, k));
  if (reserved.length) return `may not define ${reserved.map((k) => `\`${k}\``).join(', ')} in \`properties\` (condense adds them to every ${shape.noun})`;
  const required = def.required;
  if (required !== undefined && (!Array.isArray(required) || required.some((r) => typeof r !== 'string'))) return '`required` must be a list of field names';
  if (typeof def[shape.fn.field] !== 'function') return `needs a \`${shape.fn.shown}\` function`;
  return undefined;
}
