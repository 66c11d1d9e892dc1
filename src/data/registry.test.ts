import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecipeError } from '../errors.js';
import { loadRecipeWithPlugins } from '../recipe/load.js';
import { builtinStages } from '../stages/builtin.js';
import { tempDir } from '../../test/helpers.js';
import { datasetFromArrays, loadDataset } from './index.js';

const PLUGIN = `export const datasets = [{
  name: 'ramp', version: 1, description: 'Examples [i, 2i], label i mod 2.',
  properties: { count: { type: 'integer', minimum: 4, default: 10, description: 'How many.' } },
  load(spec, ctx) {
    const n = spec.count;
    const x = Float32Array.from({ length: 2 * n }, (_, k) => (k % 2 ? 2 : 1) * Math.floor(k / 2));
    const y = Int32Array.from({ length: n }, (_, i) => i % 2);
    const cut = Math.round(n * (1 - spec.testFraction));
    return { train: { x: x.slice(0, 2 * cut), y: y.slice(0, cut), count: cut }, test: { x: x.slice(2 * cut), y: y.slice(cut), count: n - cut },
      inputShape: [2], numClasses: 2 };
  },
}];\n`;

function project(plugin: string, data: string): string {
  const dir = tempDir('condense-dataset-plugin-');
  writeFileSync(join(dir, 'ramp.mjs'), plugin);
  writeFileSync(join(dir, 'recipe.yaml'), ['version: 1', 'name: ramp', 'plugins: [./ramp.mjs]', `data: ${data}`,
    'model: { builtin: mlp, hidden: [4] }', 'stages:', '  - { name: baseline, type: train, epochs: 1 }', ''].join('\n'));
  return join(dir, 'recipe.yaml');
}

describe('dataset registry', () => {
  it('a plugin adds a dataset type: validated and defaulted like a built-in one, loaded through the registry', async () => {
    const loaded = await loadRecipeWithPlugins(project(PLUGIN, '{ dataset: ramp, testFraction: 0.5 }'), { registry: builtinStages() });
    expect(loaded.recipe.data).toEqual({ dataset: 'ramp', testFraction: 0.5, count: 10 });
    expect(builtinStages().dataset('ramp')).toBeUndefined();
    const data = loadDataset(loaded.recipe.data, 1, loaded.dir, loaded.registry);
    expect([data.name, data.train.count, data.test.count, data.inputShape]).toEqual(['ramp', 5, 5, [2]]);
    expect(() => loadDataset(loaded.recipe.data, 1, loaded.dir)).toThrow('unknown dataset "ramp"');
    await expect(loadRecipeWithPlugins(project(PLUGIN, '{ dataset: ramp, count: 2 }'), { registry: builtinStages() })).rejects.toThrow(RecipeError);
  });

  it('a plugin dataset with a taken name, a reserved field or a bad schema is located at its plugins entry', async () => {
    const cases: Array<[string, RegExp]> = [
      [PLUGIN.replace("name: 'ramp'", "name: 'csv'"), /recipe\.yaml:3:\d+: plugin \S*ramp\.mjs: dataset "csv" is already registered \(a built-in dataset\)/],
      [PLUGIN.replace('count: {', 'limit: {'), /dataset "ramp" may not define `limit` in `properties`/],
      [PLUGIN.replace("type: 'integer'", "type: 'integr'"), /dataset "ramp" has an invalid schema/],
      [PLUGIN.replace('load(spec, ctx) {', 'lode(spec, ctx) {'), /dataset "ramp" needs a `load\(spec, ctx\)` function/],
    ];
    for (const [plugin, message] of cases) {
      const error = await loadRecipeWithPlugins(project(plugin, '{ dataset: mnist }'), { registry: builtinStages() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RecipeError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('in-memory arrays become a dataset whose fingerprint hashes them', () => {
    const arrays = (v: number) => ({
      train: { x: new Float32Array([0, 1, 2, v]), y: [0, 1] }, test: { x: new Float32Array([4, 5]), y: [1] }, inputShape: [2],
    });
    const a = datasetFromArrays(arrays(3));
    expect(a).toMatchObject({ name: 'in-memory', inputShape: [2], featureSize: 2, numClasses: 2 });
    expect([a.train.count, a.test.count]).toEqual([2, 1]);
    expect(datasetFromArrays(arrays(3)).fingerprint).toBe(a.fingerprint);
    expect(datasetFromArrays(arrays(7)).fingerprint).not.toBe(a.fingerprint);
    expect(() => datasetFromArrays({ ...arrays(3), inputShape: [3] })).toThrow('data.train: 4 values are not 2 examples of shape [3]');
  });
});
