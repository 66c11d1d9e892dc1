// Removing whole attention heads for real: the model is rebuilt from its JSON topology without the
// heads' layers, each join reading the remaining heads (or replaced by the one left), and the
// output projection losing the kernel rows of the removed heads.
import * as tf from '@tensorflow/tfjs';
import type { WeightCuts } from './apply.js';
import { modelJson } from './describe.js';
import { connectedLayers } from './drop-model.js';
import { findAttentions } from './heads.js';
import type { Attention } from './heads.js';
import type { ImportanceKind } from './importance.js';
import { channelsToRemove } from './select.js';
import type { RemovalOptions } from './select.js';
import { applyCuts } from './slice.js';

type Ref = [string, number, number, ...unknown[]];
interface LayerEntry { config: { name: string } & Record<string, unknown>; inbound_nodes?: Ref[][] }

/** Reads a weight's values (or its taylor scores) by layer name and short weight name. */
export type HeadWeightReader = (layer: string, weight: string) => Float32Array | undefined;

/** Channels each head fills in its join, in order. */
function headWidths(model: tf.LayersModel, attention: Attention): number[] {
  return attention.heads.map((h) => (model.getLayer(h.output).outputShape as number[]).at(-1)!);
}

/**
 * A head's importance: Σ|w| (l1) or √Σw² (l2) over its projections' kernels and its rows of the
 * output projection; taylor: Σ|w·∂L/∂w| over the same weights, read as precomputed scores.
 */
export function headImportance(model: tf.LayersModel, attention: Attention, read: HeadWeightReader, kind: Exclude<ImportanceKind, 'bnScale'>): Float64Array {
  const widths = headWidths(model, attention);
  const rows = read(attention.projection, 'kernel')!;
  const columns = rows.length / widths.reduce((a, b) => a + b, 0);
  const add = (sum: number, v: number) => sum + (kind === 'l2' ? v * v : Math.abs(v));
  let offset = 0;
  return Float64Array.from(attention.heads, (head, h) => {
    let sum = rows.subarray(offset * columns, (offset + widths[h]!) * columns).reduce(add, 0);
    offset += widths[h]!;
    for (const p of head.projections) sum = read(p, 'kernel')!.reduce(add, sum);
    return kind === 'l2' ? Math.sqrt(sum) : sum;
  });
}

/** The outcome of {@link pruneHeads}. */
export interface HeadPruneResult {
  model: tf.LayersModel;
  cut: WeightCuts;
  removedHeads: number;
  /** Heads kept per attention, by join name. */
  keptHeads: Map<string, number>;
}

/**
 * Removes the least important `sparsity` fraction of each attention's heads (`scope: layer`), or
 * of all heads ranked together (`global`, at most `maxSparsity` of one attention); every
 * attention keeps at least one head. `model` is left unchanged.
 */
export async function pruneHeads(model: tf.LayersModel, options: RemovalOptions & { importance: Exclude<ImportanceKind, 'bnScale'>; read: HeadWeightReader }): Promise<HeadPruneResult> {
  const attentions = findAttentions(connectedLayers(model).layers);
  const scores = attentions.map((a) => headImportance(model, a, options.read, options.importance));
  const removed = channelsToRemove(scores, { ...options, roundTo: 1 });
  const json = modelJson(model) as unknown as { config: { layers: LayerEntry[]; output_layers: Ref[] } };
  const rowCuts = new Map<string, number[]>();
  const gone = new Set<string>();
  attentions.forEach((attention, a) => {
    const drop = new Set(removed[a]!.map((h) => attention.heads[h]!.output));
    if (drop.size === 0) return;
    for (const h of attention.heads) if (drop.has(h.output)) h.layers.forEach((n) => gone.add(n));
    rowCuts.set(attention.projection, keptRows(headWidths(model, attention), removed[a]!));
    json.config.layers = withoutHeads(json.config.layers, attention.join, drop, gone);
  });
  json.config.layers = json.config.layers.filter((e) => !gone.has(e.config.name));
  const rebuilt = await tf.models.modelFromJSON({ modelTopology: json as never });
  const cut: WeightCuts = new Map();
  const created: tf.Tensor[] = [];
  for (const layer of rebuilt.layers) {
    const original = model.getLayer(layer.name);
    const rows = rowCuts.get(layer.name);
    const values = original.getWeights().map((v, k) => {
      const w = original.weights[k]!;
      if (!rows || w.originalName.split('/').pop() !== 'kernel') return v;
      const steps = [{ axis: 0, kept: rows }];
      cut.set(w, (m) => applyCuts(m, [...w.shape] as number[], steps).values);
      const result = applyCuts(v.dataSync() as Float32Array, [...w.shape] as number[], steps);
      created.push(tf.tensor(result.values, result.shape));
      return created.at(-1)!;
    });
    if (values.length) layer.setWeights(values);
  }
  tf.dispose(created);
  const keptHeads = new Map(attentions.map((a, i) => [a.join, a.heads.length - removed[i]!.length]));
  return { model: rebuilt, cut, removedHeads: removed.reduce((n, r) => n + r.length, 0), keptHeads };
}

/** Kernel rows of the output projection that the kept heads fill. */
function keptRows(widths: number[], removed: number[]): number[] {
  const rows: number[] = [];
  let offset = 0;
  widths.forEach((w, h) => {
    if (!removed.includes(h)) for (let i = 0; i < w; i++) rows.push(offset + i);
    offset += w;
  });
  return rows;
}

/** The join reads the kept heads; left with one, it goes and its reader reads that head. */
function withoutHeads(entries: LayerEntry[], join: string, drop: Set<string>, gone: Set<string>): LayerEntry[] {
  const entry = entries.find((e) => e.config.name === join)!;
  const refs = entry.inbound_nodes![0]!.filter((r) => !drop.has(r[0]));
  entry.inbound_nodes = [refs];
  if (refs.length > 1) return entries;
  gone.add(join);
  for (const e of entries) for (const node of e.inbound_nodes ?? []) for (const ref of node) if (ref[0] === join) ref.splice(0, 3, ...refs[0]!.slice(0, 3));
  return entries;
}
