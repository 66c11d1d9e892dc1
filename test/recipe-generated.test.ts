import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRecipe } from '../src/recipe/load.js';
import { recipeReferenceMarkdown } from '../src/recipe/reference.js';
import { buildRecipeSchema, RECIPE_SCHEMA_ID } from '../src/recipe/schema.js';
import { builtinStages } from '../src/stages/builtin.js';

const schema = buildRecipeSchema(builtinStages());
const REGENERATE = 'out of date: run `npm run build && node scripts/gen-schema.mjs` and commit the result';

describe('generated files match the stage registry', () => {
  it('schemas/recipe.schema.json', () => {
    expect(readFileSync('schemas/recipe.schema.json', 'utf8'), REGENERATE).toBe(JSON.stringify(schema, null, 2) + '\n');
  });

  it('docs/recipe-reference.md', () => {
    expect(readFileSync('docs/recipe-reference.md', 'utf8'), REGENERATE).toBe(recipeReferenceMarkdown(schema));
  });

  it('the schema has a versioned $id and allows `remove` only as a stage merge directive', () => {
    expect(schema.$id).toBe(RECIPE_SCHEMA_ID);
    expect(RECIPE_SCHEMA_ID).toMatch(/recipe-v1\.schema\.json$/);
    const stage = (schema.properties as Record<string, { items: { oneOf: Array<{ properties: Record<string, unknown> }> } }>).stages.items;
    for (const branch of stage.oneOf) expect(branch.properties.remove).toMatchObject({ type: 'boolean' });
  });
});

describe('shipped recipes', () => {
  const shipped = readdirSync('recipes').filter((f) => f.endsWith('.yaml')).sort();

  it('include the presets', () => {
    expect(shipped).toEqual(expect.arrayContaining(['quickstart.yaml', 'deep-compression-lenet300.yaml']));
  });

  it.each(shipped)('%s starts with the schema modeline and validates', (name) => {
    const text = readFileSync(`recipes/${name}`, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/recipe.schema.json');
    expect(() => loadRecipe(`recipes/${name}`, { registry: builtinStages() })).not.toThrow();
  });

  it('deep-compression-lenet300: mlp 300-100 on mnist, gradual prune to 0.92, finetune, uint8, evaluate', () => {
    const { recipe } = loadRecipe('recipes/deep-compression-lenet300.yaml', { registry: builtinStages() });
    expect(recipe.model).toEqual({ builtin: 'mlp', hidden: [300, 100] });
    expect(recipe.data.dataset).toBe('mnist');
    expect(recipe.stages.map((s) => s.type)).toEqual(['train', 'prune', 'finetune', 'quantize', 'evaluate']);
    expect(recipe.stages[1]).toMatchObject({ sparsity: 0.92, schedule: { kind: 'polynomial' } });
    expect(recipe.stages[3]).toMatchObject({ weights: { dtype: 'uint8' } });
  });
});
