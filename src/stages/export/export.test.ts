import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { loadModelFromFiles, modelFiles } from '../../model/io.js';
import { mlpTestState, runTestStage } from '../testing.js';
import { exportStage } from './export.js';

let data: Dataset;
beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(200);
});

describe('export', () => {
  it('returns the model files, quantization applied, under export/, and hands its input on unchanged', async () => {
    const state = mlpTestState();
    state.quantization.set('dense1/kernel', { dtype: 'float16' });
    const result = await runTestStage(exportStage, { format: 'layers-model' }, state, data);
    expect(result.state).toBe(state);
    expect(result.metrics).toEqual({});
    const expected = await modelFiles(state.model, state.quantization);
    expect([...result.artifacts!.keys()].sort()).toEqual([...expected.keys()].map((n) => `export/${n}`).sort());
    for (const [name, bytes] of expected) expect(Buffer.from(result.artifacts!.get(`export/${name}`)!).equals(Buffer.from(bytes))).toBe(true);
    const json = JSON.parse(new TextDecoder().decode(result.artifacts!.get('export/model.json')));
    const dtypes = Object.fromEntries((json.weightsManifest[0].weights as Array<{ name: string; quantization?: { dtype: string } }>)
      .map((w) => [w.name, w.quantization?.dtype ?? 'float32']));
    expect(Object.values(dtypes).filter((d) => d === 'float16')).toHaveLength(1);
    const files = new Map([...result.artifacts!].map(([n, b]) => [n.slice('export/'.length), b]));
    expect((await loadModelFromFiles(files)).layers.map((l) => l.name)).toEqual(state.model.layers.map((l) => l.name));
  });
});
