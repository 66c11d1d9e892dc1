import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecipeError } from '../src/errors.js';
import { loadRecipe } from '../src/recipe/load.js';
import { builtinStages } from '../src/stages/builtin.js';
import { tempDir } from './helpers.js';
import { pruneStage } from '../src/stages/prune/prune.js';
import type { PruneParams } from '../src/stages/prune/prune.js';

function problems(stage: string, model = '{ builtin: mlp }'): string[] {
  const file = join(tempDir(), 'r.yaml');
  writeFileSync(file, `version: 1\nname: r\ndata: { dataset: mnist }\nmodel: ${model}\nstages:\n${stage}\n`);
  try {
    loadRecipe(file, { registry: builtinStages() });
    return [];
  } catch (err) {
    if (!(err instanceof RecipeError)) throw err;
    return err.problems.map((p) => `${p.line}:${p.col}: ${p.message} [${p.keyword}]`);
  }
}

describe('prune: checks across fields, located', () => {
  it('magnitude needs sparsity', () => {
    expect(problems('  - { type: prune }')).toEqual(['6:5: prune with method magnitude needs "sparsity" [stage-check]']);
  });

  it('nm: n below m, sparsity implied, one-shot only', () => {
    expect(problems('  - { type: prune, method: nm }')).toEqual([]);
    expect(problems('  - { type: prune, method: nm, n: 4, m: 4 }')).toEqual(['6:35: n (4) must be smaller than m (4) [stage-check]']);
    expect(problems('  - { type: prune, method: nm, sparsity: 0.9 }')).toEqual(['6:42: method nm keeps 2 of every 4 weights: sparsity is 0.5, not 0.9 [stage-check]']);
    expect(problems('  - type: prune\n    method: nm\n    schedule: { kind: polynomial }')).toEqual(['8:23: method nm prunes at once: use schedule kind oneShot [stage-check]']);
  });
});

describe('structured pruning of any model', () => {
  const structured = '  - { type: prune, method: structured, sparsity: 0.5 }';
  it('is accepted on functional bert and Sequential textmlp alike', () => {
    expect(problems(structured, '{ builtin: bert }')).toEqual([]);
    expect(problems(structured, '{ builtin: textmlp }')).toEqual([]);
  });

  it('names a layer the dependency graph does not know, as a warning, once the layers are known', () => {
    const view = { topology: 'functional' as const, layers: [{ name: 'conv', className: 'Conv2D' }, { name: 'odd', className: 'MyPluginLayer' }] };
    const p = { method: 'structured', sparsity: 0.5, schedule: { kind: 'oneShot' } } as unknown as PruneParams;
    expect(pruneStage.check!(p, { model: view, earlier: [], recipe: {} as never })).toEqual([{
      path: ['method'], severity: 'warning',
      message: 'odd is a MyPluginLayer, a layer class structured pruning does not know: the channels it touches stay whole',
    }]);
  });

  it('refuses structured-only fields on another method, at the key', () => {
    expect(problems('  - { type: prune, sparsity: 0.5, roundTo: 8 }')).toEqual(['6:35: "roundTo" applies only to method structured [stage-check]']);
  });
});

describe('distill: the student spec is checked like the model', () => {
  it('needs exactly one of builtin and path, and size fields only where they apply', () => {
    const distill = (student: string) => `  - { name: base, type: train }\n  - { type: distill, teacher: "stage:base", student: ${student} }`;
    expect(problems(distill('{ builtin: mlp, hidden: [8] }'))).toEqual([]);
    expect(problems(distill('{ path: ./m.json }'))).toEqual([]);
    expect(problems(distill('{ hidden: [8] }'))).toEqual(['7:54: a student needs exactly one of "builtin" and "path" [model]']);
    expect(problems(distill('{ builtin: lenet5, dropout: 0.5 }'))).toEqual(['7:73: "dropout" applies only to builtin: mlp [model]']);
  });
});
