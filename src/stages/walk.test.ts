import { describe, expect, it } from 'vitest';
import type { Recipe } from '../recipe/types.js';
import { builtinStages } from './builtin.js';
import { declaredOutputs, INITIAL_MODEL } from './walk.js';

describe('declaredOutputs', () => {
  it('takes the recipe model\'s outputs, then, from a stage that replaces the model, its student\'s', () => {
    const recipe = {
      model: { path: './m.json', outputs: 'logits' },
      stages: [
        { name: 'a', type: 'train', epochs: 1 },
        { name: 'd', type: 'distill', teacher: 'stage:a', student: { builtin: 'mlp' } },
        { name: 'b', type: 'finetune', epochs: 1 },
        { name: 'e', type: 'distill', teacher: 'stage:a', student: { builtin: 'mlp', outputs: 'probabilities' } },
      ],
      task: 'classification',
    } as unknown as Recipe;
    const outputs = declaredOutputs(recipe, builtinStages());
    expect(Object.fromEntries(outputs)).toEqual({
      [INITIAL_MODEL]: { outputs: 'logits', task: 'classification' },
      a: { outputs: 'logits', task: 'classification' },
      d: { task: 'classification' },
      b: { task: 'classification' },
      e: { outputs: 'probabilities', task: 'classification' },
    });
  });
});
