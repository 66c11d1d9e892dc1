import { describe, expect, it } from 'vitest';
import { formatProblem, RecipeError } from '../src/errors.js';
import { loadRecipe, pointAt, resolvedYaml } from '../src/recipe/load.js';
import { builtinStages } from '../src/stages/builtin.js';

const DIR = 'test/fixtures/recipes/extends';
const registry = builtinStages();
const load = (name: string, set: string[] = []) => loadRecipe(`${DIR}/${name}`, { registry, set });

function problems(name: string): string[] {
  try {
    load(name);
  } catch (err) {
    if (err instanceof RecipeError) return err.problems.map(formatProblem);
    throw err;
  }
  throw new Error(`${name} loaded without problems`);
}

const names = (name: string) => load(name).recipe.stages.map((s) => s.name);

describe('extends: merge rules', () => {
  it('a stage with a parent stage\'s name overrides only the fields it gives and keeps its place', () => {
    const { recipe } = load('override.yaml');
    expect(recipe.stages.map((s) => s.name)).toEqual(['baseline', 'prune', 'finetune', 'evaluate', 'export']);
    const prune = recipe.stages[1]!;
    expect(prune.include).toEqual(['dense_1']);
    expect(prune.sparsity).toBe(0.9);
    expect(recipe.stages[0]!.epochs).toBe(3);
    expect(recipe.stages[0]!.optimizer).toEqual({ name: 'adam', learningRate: 0.01 });
  });

  it('mappings merge deeply and lists replace', () => {
    const { recipe } = load('override.yaml');
    expect(recipe.data).toEqual({ dataset: 'mnist', testFraction: 0.2, limit: 500 });
    expect(recipe.model).toEqual({ builtin: 'mlp', hidden: [32] });
    expect(recipe.name).toBe('override');
    expect(recipe.seed).toBe(7);
  });

  it('remove: true drops the parent\'s stage and is stripped', () => {
    expect(names('remove.yaml')).toEqual(['baseline', 'prune', 'evaluate']);
    expect(resolvedYaml(load('remove.yaml').recipe)).not.toMatch(/^\s*remove:/m);
  });

  it('later extends entries win over earlier ones; the recipe itself wins over all', () => {
    const { recipe } = load('order.yaml');
    expect(recipe.seed).toBe(99);
    expect(recipe.data).toEqual({ dataset: 'mnist', testFraction: 0.25, limit: 300 });
    expect(recipe.gates).toEqual({ accuracy: { min: 0.9 }, sizeBytes: { max: 100000 } });
  });

  it('vars merge, and a parent\'s ${vars.X} takes the child\'s value', () => {
    const { recipe } = load('vars.yaml');
    expect(recipe.vars).toEqual({ sparsity: 0.5, lr: 0.001 });
    expect(recipe.stages[1]!.sparsity).toBe(0.5);
    expect(recipe.stages[0]!.optimizer).toEqual({ name: 'adam', learningRate: 0.001 });
  });

  it('--set applies to the merged recipe, before vars', () => {
    const { recipe } = load('vars.yaml', ['vars.sparsity=0.7', 'stages.finetune.epochs=2']);
    expect(recipe.stages[1]!.sparsity).toBe(0.7);
    expect(recipe.stages[2]!.epochs).toBe(2);
  });

  it('presets come from the package\'s recipes/ folder by name', () => {
    const { recipe } = load('preset.yaml');
    expect(recipe.name).toBe('preset');
    expect(recipe.data.limit).toBe(1000);
    expect(recipe.stages.map((s) => s.name)).toEqual(['baseline', 'prune', 'finetune', 'quantize', 'final']);
    expect(recipe.stages[0]!.epochs).toBe(1);
    expect(recipe.stages[0]!.batchSize).toBe(128);
  });

  it('paths below the recipe\'s directory are allowed', () => {
    expect(load('sub/inner.yaml').recipe.name).toBe('inner');
  });

  it('the resolved recipe has no extends', () => {
    const { recipe } = load('override.yaml');
    expect('extends' in recipe).toBe(false);
  });

  it('locates values of the merged recipe in the file that contributed them', () => {
    const loaded = load('override.yaml');
    expect(pointAt(loaded, ['stages', 1, 'sparsity'])).toMatchObject({ file: `${DIR}/base.yaml`, line: 21, col: 15 });
    expect(pointAt(loaded, ['stages', 1, 'include', 0])).toMatchObject({ file: `${DIR}/override.yaml`, line: 13, col: 15 });
    expect(pointAt(loaded, ['stages', 4])).toMatchObject({ file: `${DIR}/override.yaml`, line: 10, col: 5 });
    expect(pointAt(loaded, ['stages', 1, 'sparsity']).frame).toContain('> 21 |     sparsity: ${vars.sparsity}');
  });
});

describe('extends: errors are located in the file that has the mistake', () => {
  const f = (name: string) => `${DIR}/${name}`;

  it('an undefined var is located at the reference, in the parent', () => {
    expect(problems('badvar.yaml')).toEqual([`${f('parent-badvar.yaml')}:7:15: undefined variable "vars.nope" [vars]\n  hint: defined vars: other`]);
  });

  it('schema problems after merging point into whichever file gave the value', () => {
    expect(problems('badschema.yaml')).toEqual([
      `${f('parent-badschema.yaml')}:7:13: epochs must be >= 0 (got -1) [minimum]`,
      `${f('parent-badschema.yaml')}:8:5: unknown key "batchsize" in stage "train" [additionalProperties]\n  hint: did you mean "batchSize"?`,
      `${f('badschema.yaml')}:5:18: latencyRuns must be >= 1 (got 0) [minimum]`,
    ]);
  });

  it('a cycle is an error naming the cycle', () => {
    expect(problems('cycle-a.yaml')).toEqual([
      `${f('cycle-b.yaml')}:2:11: extends cycle: ${f('cycle-a.yaml')} → ${f('cycle-b.yaml')} → ${f('cycle-a.yaml')} [extends]\n  hint: a recipe cannot extend itself, directly or through others`,
    ]);
    expect(problems('self.yaml')[0]).toMatch(/^test\/fixtures\/recipes\/extends\/self\.yaml:2:11: extends cycle: .*self\.yaml → .*self\.yaml \[extends\]/);
  });

  it('depth is bounded', () => {
    expect(problems('deep-1.yaml')[0]).toMatch(/^test\/fixtures\/recipes\/extends\/deep-8\.yaml:1:11: extends nests deeper than 8 recipes \[extends\]/);
  });

  it('a path leaving the directory tree of the recipe being run is refused', () => {
    expect(problems('sub/child.yaml')[0]).toMatch(
      /^test\/fixtures\/recipes\/extends\/sub\/child\.yaml:2:11: extends "\.\.\/base\.yaml" resolves outside the recipe's directory \(.*\/extends\/base\.yaml\) \[extends\]/);
    expect(problems('outside.yaml')[0]).toMatch(/^test\/fixtures\/recipes\/extends\/outside\.yaml:2:24: extends "\.\.\/bad\/empty\.yaml" resolves outside/);
  });

  it('unknown presets suggest the closest one', () => {
    expect(problems('unknown-preset.yaml')).toEqual([`${f('unknown-preset.yaml')}:2:11: unknown preset "quikstart" [extends]\n  hint: did you mean "quickstart"?`]);
  });

  it('entries must be preset names or relative paths, in a list', () => {
    expect(problems('bad-entry.yaml')).toEqual([
      `${f('bad-entry.yaml')}:2:11: extends entry "/etc/passwd" is neither a preset name, a package preset nor a relative path [extends]\n  hint: name a preset (e.g. quickstart), a package preset (@scope/package/preset) or a path starting with ./ or ../`,
      `${f('bad-entry.yaml')}:2:24: extended recipe not found: ${f('base')} [extends]`,
    ]);
    expect(problems('not-list.yaml')).toEqual([
      `${f('not-list.yaml')}:2:10: extends must be a list of preset names, package presets or relative paths [extends]\n  hint: e.g. extends: [quickstart, ./base.yaml, "@acme/condense-presets/bert"]`,
    ]);
    expect(problems('missing.yaml')).toEqual([`${f('missing.yaml')}:2:11: extended recipe not found: ${f('nope.yaml')} [extends]`]);
  });

  it('remove: true naming no parent stage is an error', () => {
    expect(problems('remove-orphan.yaml')).toEqual([
      `${f('remove-orphan.yaml')}:4:5: remove: no stage named "finetun" in the recipes this one extends [remove]\n  hint: did you mean "finetune"?`,
    ]);
    expect(problems('remove-noparent.yaml')[0]).toMatch(/remove-noparent\.yaml:8:5: remove: no stage named "prune" in the recipes this one extends \[remove\]/);
  });

  it('problems in several extended files are all reported, each in its file', () => {
    expect(problems('parse-error.yaml')).toEqual([
      `${f('parent-parse-error.yaml')}:3:1: Flow sequence in block collection must be sufficiently indented and end with a ] [yaml]`,
      `${f('parse-error.yaml')}:1:38: extended recipe not found: ${f('nope.yaml')} [extends]`,
    ]);
  });

  it('every problem carries a code frame of its own file', () => {
    try {
      load('badschema.yaml');
    } catch (err) {
      const [first, , last] = (err as RecipeError).problems;
      expect(first!.frame).toContain('> 7 |     epochs: -1');
      expect(last!.frame).toContain('> 5 |     latencyRuns: 0');
      return;
    }
    throw new Error('expected problems');
  });
});

describe('resolution is deterministic', () => {
  it('resolving twice gives the same bytes and hash', () => {
    const a = load('override.yaml');
    const b = load('override.yaml');
    expect(resolvedYaml(a.recipe)).toBe(resolvedYaml(b.recipe));
    expect(a.hash).toBe(b.hash);
  });

  it('the resolved recipe, written out and loaded again, resolves to the same bytes', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const first = load('preset.yaml');
    const file = join(mkdtempSync(join(tmpdir(), 'condense-resolve-')), 'resolved.yaml');
    writeFileSync(file, resolvedYaml(first.recipe));
    const again = loadRecipe(file, { registry });
    expect(resolvedYaml(again.recipe)).toBe(resolvedYaml(first.recipe));
    expect(again.hash).toBe(first.hash);
  });
});

describe('prototype pollution', () => {
  it('no recipe, merge, alias or <<-merge reaches Object.prototype', () => {
    const attempts = ['pollute.yaml', 'pollute-parent.yaml'];
    for (const name of attempts) {
      try {
        load(name);
      } catch {
        // refused or not: either way nothing may leak
      }
    }
    for (const name of ['proto-key', 'constructor-key', 'prototype-key', 'merge-key-proto']) {
      expect(() => loadRecipe(`test/fixtures/recipes/bad/${name}.yaml`, { registry })).toThrow(RecipeError);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });

  it('refuses __proto__ in an extending recipe, located there', () => {
    expect(problems('pollute.yaml')).toEqual([`${DIR}/pollute.yaml:6:5: key "__proto__" is not allowed [forbidden-key]`]);
  });
});
