#!/usr/bin/env node
// Writes schemas/recipe.schema.json, docs/recipe-reference.md and the TypeScript types of a
// resolved recipe (src/recipe/schema-types.generated.ts, see scripts/gen-types.mjs) from the stage
// registry. Run after a build (it imports dist/): `npm run build && node scripts/gen-schema.mjs`.
// `--check` writes nothing and exits 1 when a checked-in file differs from what it would write.
import { readFileSync, writeFileSync } from 'node:fs';
import { recipeTypesSource } from './gen-types.mjs';

const root = new URL('../', import.meta.url);
const { buildRecipeSchema } = await import(new URL('dist/recipe/schema.js', root).href);
const { recipeReferenceMarkdown } = await import(new URL('dist/recipe/reference.js', root).href);
const { builtinStages } = await import(new URL('dist/stages/builtin.js', root).href);

const schema = buildRecipeSchema(builtinStages());
const files = {
  'schemas/recipe.schema.json': JSON.stringify(schema, null, 2) + '\n',
  'docs/recipe-reference.md': recipeReferenceMarkdown(schema),
  'src/recipe/schema-types.generated.ts': recipeTypesSource(schema),
};
const check = process.argv.includes('--check');
let stale = 0;
for (const [path, text] of Object.entries(files)) {
  const url = new URL(path, root);
  let current = '';
  try { current = readFileSync(url, 'utf8'); } catch { /* missing: stale */ }
  if (current === text) continue;
  if (check) {
    process.stderr.write(`${path} is out of date; run node scripts/gen-schema.mjs\n`);
    stale++;
  } else {
    writeFileSync(url, text);
    process.stdout.write(`wrote ${path}\n`);
  }
}
process.exitCode = stale ? 1 : 0;
