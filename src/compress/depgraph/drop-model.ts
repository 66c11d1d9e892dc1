// Dropping layers for real: the model is rebuilt from its JSON topology without them, every
// consumer of a removed branch's merge (or a removed block's output) reading its identity input,
// and the remaining layers keep their names and weights.
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../errors.js';
import { describeModel, modelJson } from './describe.js';
import { planRemovals } from './drop-layers.js';
import type { Removal } from './drop-layers.js';

/** The layers a model's dependency graph reads (its Sequential input left out), for {@link planRemovals}. */
export function connectedLayers(model: tf.LayersModel): { layers: Array<{ name: string; className: string; inbound: string[] }>; outputs: string[] } {
  const graph = describeModel(model);
  return { layers: graph.layers.map((l) => ({ name: l.name, className: l.className, inbound: l.inbound })), outputs: graph.outputs };
}

type InboundNode = [string, number, number, ...unknown[]];
interface LayerEntry { config: { name: string } & Record<string, unknown>; inbound_nodes?: InboundNode[][] }

function rewire(entries: LayerEntry[], outputs: Array<[string, number, number]>, removal: Removal): LayerEntry[] {
  const gone = new Set(removal.removed);
  for (const entry of entries) {
    for (const node of entry.inbound_nodes ?? []) for (const ref of node) if (ref[0] === removal.exit) ref[0] = removal.entry;
  }
  for (const out of outputs) if (out[0] === removal.exit) out[0] = removal.entry;
  return entries.filter((e) => !gone.has(e.config.name));
}

/**
 * A new functional model without the layers `targets` name (the residual branch of an Add, or a
 * block such as bert's `block2`); remaining layers keep their names and weight values. A
 * UsageError names the first target that cannot be removed.
 */
export async function dropLayers(model: tf.LayersModel, targets: readonly string[]): Promise<{ model: tf.LayersModel; removals: Removal[] }> {
  if (model.getClassName() === 'Sequential') {
    throw new UsageError('method layers removes residual branches, and a Sequential model has none', { hint: 'use method structured to make its layers narrower' });
  }
  const { layers, outputs } = connectedLayers(model);
  const plan = planRemovals(layers, targets, outputs);
  if ('problem' in plan) throw new UsageError(`cannot remove ${targets[plan.index]}: ${plan.problem}`, plan.hint ? { hint: plan.hint } : {});
  for (const r of plan.removals) shapesAgree(model, r);
  const json = modelJson(model) as unknown as { config: { layers: LayerEntry[]; output_layers: Array<[string, number, number]> } };
  for (const removal of plan.removals) json.config.layers = rewire(json.config.layers, json.config.output_layers, removal);
  const rebuilt = await tf.models.modelFromJSON({ modelTopology: json as never });
  for (const layer of rebuilt.layers) {
    const values = model.getLayer(layer.name).getWeights();
    if (values.length) layer.setWeights(values);
  }
  return { model: rebuilt, removals: plan.removals };
}

function shapesAgree(model: tf.LayersModel, r: Removal): void {
  const shape = (name: string) => JSON.stringify(model.getLayer(name).outputShape);
  if (shape(r.exit) !== shape(r.entry)) {
    throw new UsageError(`cannot remove ${r.target}: its input ${r.entry} has shape ${shape(r.entry)} and ${r.exit} hands on ${shape(r.exit)}`, {
      hint: 'only a branch or block whose output has its input\'s shape can be dropped',
    });
  }
}
