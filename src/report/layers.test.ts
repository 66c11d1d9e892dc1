import { describe, expect, it } from 'vitest';
import { groupLayers, layerRow } from './layers.js';
import { layerTable } from './layer-table.js';
import type { LayerStats } from '../types/records.js';

/** A conv-net-like model: `n` layers, each a kernel and a bias, sizes varying with depth. */
function layers(n: number): LayerStats[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `conv${i}`;
    const k = ((i * 37) % 50) + 1;
    return { name, className: 'Conv2D', weights: [
      { key: `${name}/kernel`, shape: [3, 3, k, 8], params: 72 * k, nonzeroParams: 36 * k, sparsity: 0.5, dtype: 'uint8', bytes: 72 * k, quantizationError: { rmse: 0.01, maxAbs: 0.02, relative: 0.004 + i / 1e5 } },
      { key: `${name}/bias`, shape: [8], params: 8, nonzeroParams: 8, sparsity: 0, dtype: 'float32', bytes: 32 },
    ] };
  });
}

describe('groupLayers', () => {
  it('sums each layer\'s weights into one row', () => {
    const row = layerRow(layers(1)[0]!, 1);
    expect(row).toMatchObject({ name: 'conv0', params: 80, nonzeroParams: 44, bytes: 104, dtypes: ['uint8', 'float32'], weights: ['kernel [3, 3, 1, 8]', 'bias [8]'], larger: [] });
    expect(row.sparsity).toBeCloseTo(36 / 80, 12);
    expect(row.maxQuantizationError).toBeCloseTo(0.004, 12);
  });

  it('keeps the layers with the most params, in model order, folds the rest, and totals them all', () => {
    const all = layers(200);
    const { shown, folded, total } = groupLayers(all, 12);
    expect(shown).toHaveLength(12);
    expect(folded).toHaveLength(188);
    expect(shown.map((r) => r.index)).toEqual([...shown.map((r) => r.index)].sort((a, b) => a - b));
    const smallestShown = Math.min(...shown.map((r) => r.params));
    expect(folded.every((r) => r.params <= smallestShown)).toBe(true);
    const params = all.flatMap((l) => l.weights).reduce((n, w) => n + w.params, 0);
    expect(total).toEqual({ layers: 200, params, nonzeroParams: all.flatMap((l) => l.weights).reduce((n, w) => n + w.nonzeroParams, 0), bytes: all.flatMap((l) => l.weights).reduce((n, w) => n + w.bytes, 0) });
    expect([...shown, ...folded].reduce((n, r) => n + r.params, 0)).toBe(params);
  });

  it('shows a small model whole', () => {
    expect(groupLayers(layers(13), 12).folded).toEqual([]);
    expect(groupLayers(layers(14), 12).folded).toHaveLength(2);
  });

  it('renders one row per shown layer and the rest in a closed <details>', () => {
    const html = layerTable(layers(200), 12);
    const [main, rest] = html.split('<details');
    expect(main!.match(/<tr><td class="n">/g)).toHaveLength(12);
    expect(rest!.match(/<tr><td class="n">/g)).toHaveLength(188);
    expect(rest).toMatch(/^ class="more-layers"><summary>188 more layers/);
    expect(html).toContain('total (200 layers with weights)');
  });
});
