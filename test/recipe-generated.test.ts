import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRecipe } from '../src/recipe/load.js';
import { recipeReferenceMarkdown } from '../src/recipe/reference.js';
import { buildRecipeSchema, RECIPE_SCHEMA_ID } from '../src/recipe/schema.js';
import { builtinStages } from '../src/stages/builtin.js';
import { recipeTypesSource } from '../scripts/gen-types.mjs';

const schema = buildRecipeSchema(builtinStages());
const REGENERATE = 'out of date: run `npm run build && node scripts/gen-schema.mjs` and commit the result';

describe('generated files match the stage registry', () => {
  it('schemas/recipe.schema.json', () => {
    expect(readFileSync('schemas/recipe.schema.json', 'utf8'), REGENERATE).toBe(JSON.stringify(schema, null, 2) + '\n');
  });

  it('docs/recipe-reference.md', () => {
    expect(readFileSync('docs/recipe-reference.md', 'utf8'), REGENERATE).toBe(recipeReferenceMarkdown(schema));
  });

  it('src/recipe/schema-types.generated.ts (the recipe types the code compiles against)', () => {
    expect(readFileSync('src/recipe/schema-types.generated.ts', 'utf8'), REGENERATE).toBe(recipeTypesSource(schema));
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

  it('deep-compression-lenet300: mlp 300-100 on mnist, gradual per-layer prune, finetune, cluster, finetune, uint8, evaluate', () => {
    const { recipe } = loadRecipe('recipes/deep-compression-lenet300.yaml', { registry: builtinStages() });
    expect(recipe.model).toEqual({ builtin: 'mlp', hidden: [300, 100] });
    expect(recipe.data.dataset).toBe('mnist');
    expect(recipe.stages.map((s) => s.type)).toEqual(['train', 'prune', 'finetune', 'cluster', 'finetune', 'quantize', 'evaluate']);
    expect(recipe.stages[1]).toMatchObject({ sparsity: { dense1: 0.94, dense2: 0.91, output: 0.74 }, schedule: { kind: 'polynomial' } });
    expect(recipe.stages[3]).toMatchObject({ clusters: 16, init: 'linear', preserveSparsity: true, grid: 'uint8' });
    expect(recipe.stages[5]).toMatchObject({ weights: { dtype: 'uint8' } });
  });
});

describe('the schema → TypeScript emitter (scripts/gen-types.mjs)', () => {
  const body = (text: string) => text.slice(text.indexOf('\nexport type Recipe'));

  it('emits resolved types: a field with a default is required; descriptions and defaults become TSDoc', () => {
    const out = body(recipeTypesSource({
      type: 'object',
      properties: {
        seed: { type: 'integer', default: 42, description: 'The seed.' },
        label: { type: 'string' },
        mode: { enum: ['a', 'b'] },
        version: { const: 1 },
        on: { type: 'boolean' },
        tags: { type: 'array', items: { enum: ['x', 'y'] } },
        weird: { type: ['string', 'null'] },
        'odd-key': { type: 'number' },
        map: { type: 'object', additionalProperties: { type: 'number' } },
        open: { type: 'object' },
        nested: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'], additionalProperties: false },
        ref: { $ref: '#/definitions/thing' },
      },
      required: ['label'],
      additionalProperties: false,
      definitions: { thing: { type: 'object', description: 'A thing.', properties: { id: { type: 'string' } }, additionalProperties: false } },
    }));
    expect(out).toContain('  /**\n   * The seed.\n   * @default 42\n   */\n  seed: number;');
    expect(out).toContain('  label: string;');
    expect(out).toContain("  mode?: 'a' | 'b';");
    expect(out).toContain('  version?: 1;');
    expect(out).toContain('  on?: boolean;');
    expect(out).toContain("  tags?: Array<'x' | 'y'>;");
    expect(out).toContain('  weird?: string | null;');
    expect(out).toContain("  'odd-key'?: number;");
    expect(out).toContain('  map?: { [key: string]: number };');
    expect(out).toContain('  open?: { [key: string]: unknown };');
    expect(out).toContain('  nested?: {\n    n: number;\n  };');
    expect(out).toContain('  ref?: Thing;');
    expect(out).toContain('/** A thing. */\nexport type Thing = {\n  id?: string;\n};');
  });

  it('declares each stage type, their union and the shared optimizer once', () => {
    const out = recipeTypesSource(schema);
    for (const type of builtinStages().types()) {
      // The generator's naming: `reinit-output` declares ReinitOutputStage.
      const name = type.split(/[^A-Za-z0-9]+/).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('') + 'Stage';
      expect(out).toContain(`export type ${name} = {\n`);
      expect(out).toContain(`\n  | ${name}`);
      expect(out).toContain(`  type: '${type}';`);
    }
    expect(out.match(/export type OptimizerSpec =/g)).toHaveLength(1);
    // Filled or stripped by the loader outside ajv: every stage has a name; `remove` and `extends` are gone.
    expect(out).not.toMatch(/\bname\?: string;/);
    expect(out).not.toMatch(/\b(remove|extends)\??:/);
  });
});
