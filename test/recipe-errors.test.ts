import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, RecipeError, UsageError } from '../src/errors.js';
import { loadRecipe } from '../src/recipe/load.js';
import { MAX_RECIPE_BYTES } from '../src/recipe/source.js';
import { builtinStages } from '../src/stages/builtin.js';

const BAD = 'test/fixtures/recipes/bad';
const registry = builtinStages();

/** The RecipeError loading `file` throws (the test fails if it loads). */
function failure(file: string, set: string[] = []): RecipeError {
  try {
    loadRecipe(file, { registry, set });
  } catch (err) {
    if (err instanceof RecipeError) return err;
    throw err;
  }
  throw new Error(`${file} loaded without problems`);
}

const fixtures = readdirSync(BAD).filter((f) => f.endsWith('.yaml')).sort();

describe('malformed recipes (test/fixtures/recipes/bad/*.yaml beside *.expected)', () => {
  it('has a battery of at least 30', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures)('%s: exact located messages, exit 2, without running anything', (name) => {
    const file = `${BAD}/${name}`;
    const expected = readFileSync(file.replace(/\.yaml$/, '.expected'), 'utf8');
    // A guard against a recipe error that starts work (loading data, building a model), not a
    // speed target: those live in benchmarks; recipe errors take milliseconds on an idle machine.
    const started = performance.now();
    const err = failure(file);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(err.exitCode).toBe(2);
    expect(err.problems.map(formatProblem).join('\n') + '\n').toBe(expected);
    for (const p of err.problems) {
      expect(p.file).toBe(file);
      expect(p.line).toBeGreaterThanOrEqual(1);
      expect(p.col).toBeGreaterThanOrEqual(1);
      // Every problem in a file that decodes as text shows the line it is about.
      if (p.keyword !== 'encoding' && readFileSync(file).length > 0) {
        expect(p.frame).toMatch(new RegExp(`^> +${p.line} \\|`, 'm'));
      }
    }
  });
});

describe('hostile input', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'condense-recipe-'));

  it('refuses a recipe over the size bound before parsing it', () => {
    const file = join(tmp, 'huge.yaml');
    writeFileSync(file, 'version: 1\ndescription: ' + 'a'.repeat(MAX_RECIPE_BYTES));
    // A guard against a recipe error that starts work (loading data, building a model), not a
    // speed target: those live in benchmarks; recipe errors take milliseconds on an idle machine.
    const started = performance.now();
    const err = failure(file);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(err.problems.map(formatProblem)).toEqual([`${file}:1:1: recipe is ${MAX_RECIPE_BYTES + 24} bytes; the limit is ${MAX_RECIPE_BYTES} [size]`]);
  });

  it('reports deeply nested flow collections as a located problem, not a crash', () => {
    const file = join(tmp, 'deep.yaml');
    writeFileSync(file, `version: 1\nvars:\n  x: ${'['.repeat(20000)}${']'.repeat(20000)}\n`);
    const err = failure(file);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]!.message).toBe('recipe nests deeper than 64 levels');
    expect(err.problems[0]!.line).toBeGreaterThanOrEqual(1);
  });

  it('keeps YAML 1.1 timestamps and binary-looking text as strings', () => {
    const file = join(tmp, 'timestamps.yaml');
    writeFileSync(file, 'version: 1\nname: t\ndescription: 2001-12-14t21:59:43.10-05:00\nvars: { day: 2002-12-14, bin: R0lGODlhDAAMAIQAAP, yes: yes, oct: 0o17 }\n' +
      'data: { dataset: mnist }\nmodel: { builtin: mlp }\nstages: [{ type: train }]\n');
    const { recipe } = loadRecipe(file, { registry });
    expect(recipe.description).toBe('2001-12-14t21:59:43.10-05:00');
    expect(recipe.vars).toEqual({ day: '2002-12-14', bin: 'R0lGODlhDAAMAIQAAP', yes: 'yes', oct: 15 });
  });

  it('a missing file is a usage error (exit 2)', () => {
    expect(() => loadRecipe(join(tmp, 'nope.yaml'), { registry })).toThrow(UsageError);
  });
});

describe('--set', () => {
  const base = 'test/fixtures/recipes/extends/base.yaml';

  it('applies before vars: --set vars.X changes every reference', () => {
    const { recipe } = loadRecipe(base, { registry, set: ['vars.sparsity=0.5'] });
    expect(recipe.stages.find((s) => s.name === 'prune')!.sparsity).toBe(0.5);
  });

  it('addresses stages by name, and a bad value is located in the --set that gave it, not the recipe line it replaced', () => {
    const err = failure(base, ['stages.prune.sparsity=1.5']);
    expect(err.problems.map(formatProblem)).toEqual(['--set stages.prune.sparsity=1.5:1:23: sparsity must be < 1 (got 1.5) [exclusiveMaximum]']);
  });

  it('a stage name that does not exist is a usage error naming the stages', () => {
    expect(() => loadRecipe(base, { registry, set: ['stages.prun.sparsity=0.5'] }))
      .toThrow('--set stages.prun.sparsity=0.5: no stage named "prun"');
  });

  it('refuses paths through __proto__', () => {
    expect(() => loadRecipe(base, { registry, set: ['__proto__.polluted=1'] })).toThrow(UsageError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
