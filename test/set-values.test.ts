import { describe, expect, it } from 'vitest';
import { RecipeError, UsageError, formatProblem } from '../src/errors.js';
import { loadRecipe } from '../src/recipe/load.js';
import { builtinStages } from '../src/stages/builtin.js';

const QUICKSTART = 'recipes/quickstart.yaml';
const load = (...set: string[]) => loadRecipe(QUICKSTART, { registry: builtinStages(), set });
function problems(...set: string[]): string[] {
  try {
    load(...set);
  } catch (err) {
    if (err instanceof RecipeError) return err.problems.map(formatProblem);
    throw err;
  }
  throw new Error('loaded without problems');
}

describe('--set takes YAML flow values and its mistakes are located in the --set', () => {
  it('lists and mappings replace the value at the path', () => {
    const { recipe } = load('stages.prune.include=[dense1, "re:^dense_2"]', 'stages.baseline.optimizer={name: sgd, learningRate: 0.1}');
    expect(recipe.stages[1]!.include).toEqual(['dense1', 're:^dense_2']);
    expect(recipe.stages[0]!.optimizer).toEqual({ name: 'sgd', learningRate: 0.1 });
  });

  it('an unknown key set by --set is reported against that --set, not the recipe line', () => {
    const [p] = problems('stages.finetune.epocs=3');
    expect(p).toMatch(/^--set stages\.finetune\.epocs=3:1:23: unknown key "epocs" in stage "finetune"/);
    expect(p).toContain('did you mean "epochs"?');
    expect(p).not.toContain('quickstart.yaml');
  });

  it('a bad item inside a flow value is located at that item\'s column', () => {
    expect(problems('stages.prune.include=[dense1, 3]')).toEqual([
      '--set stages.prune.include=[dense1, 3]:1:31: include[1] must be a string (got 3) [type]',
    ]);
  });

  it('an untouched recipe value keeps its location in the recipe file', () => {
    const all = problems('stages.finetune.epocs=3', 'data.limit=-5');
    expect(all.some((p) => p.startsWith('--set data.limit=-5:1:12:'))).toBe(true);
  });

  it('invalid YAML and forbidden keys are usage errors naming the --set', () => {
    expect(() => load('stages.prune.include=[a,')).toThrow(UsageError);
    expect(() => load('stages.prune.include=[a,')).toThrow(/--set stages\.prune\.include=\[a,: value is not valid YAML/);
    expect(() => load('data={__proto__: {x: 1}}')).toThrow(/forbidden key/);
  });
});
