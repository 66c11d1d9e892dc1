// A live TF.js model as the dependency graph sees it: connections from its JSON topology (the same
// for Sequential and functional models), shapes and weights from its layers.
import type * as tf from '@tensorflow/tfjs';
import type { GraphLayer, LayerGraph } from './types.js';

/** Name of the implicit input of a Sequential model (its JSON has no InputLayer). */
export const SEQUENTIAL_INPUT = '<input>';

type InboundNodes = Array<Array<[string, number, number, ...unknown[]]>>;
interface LayerJson { class_name: string; name?: string; config: Record<string, unknown>; inbound_nodes?: InboundNodes }
interface ModelJson { class_name: string; config: { layers: LayerJson[]; output_layers?: Array<[string, number, number]> } }

/** The model's topology as TF.js serializes it (a fresh object: editing it leaves the model alone). */
export function modelJson(model: tf.LayersModel): ModelJson {
  return model.toJSON(null, false) as unknown as ModelJson;
}

const withoutBatch = (shape: unknown): number[] => (Array.isArray(shape) && !Array.isArray(shape[0]) ? (shape.slice(1) as number[]) : []);

/** Connections of a functional layer: its producers, or why they cannot be read. */
function inboundOf(entry: LayerJson): { inbound: string[]; problem?: string } {
  const nodes = entry.inbound_nodes ?? [];
  if (nodes.length > 1) return { inbound: [], problem: `${entry.config.name} is applied ${nodes.length} times (a shared layer)` };
  const node = nodes[0] ?? [];
  const problem = node.some((n) => n[2] !== 0) ? `${entry.config.name} reads a second output of a layer` : undefined;
  return { inbound: node.map((n) => n[0]), problem };
}

function describeLayer(model: tf.LayersModel, entry: LayerJson, inbound: string[], shapes: Map<string, number[]>, problem?: string): GraphLayer {
  const layer = model.getLayer(entry.config.name as string);
  const outShape = withoutBatch(layer.outputShape);
  const why = problem ?? (Array.isArray(layer.outputShape[0]) ? `${layer.name} has several outputs` : undefined);
  return {
    name: layer.name,
    className: layer.getClassName(),
    config: layer.getConfig() as Record<string, unknown>,
    inbound,
    inShapes: inbound.map((n) => shapes.get(n) ?? []),
    outShape,
    weights: layer.weights.map((w) => ({ name: w.originalName.split('/').pop()!, shape: [...w.shape] as number[] })),
    ...(why ? { problem: why } : {}),
  };
}

/** The dependency-graph view of a Sequential or functional LayersModel. */
export function describeModel(model: tf.LayersModel): LayerGraph {
  const json = modelJson(model);
  const shapes = new Map<string, number[]>();
  const layers: GraphLayer[] = [];
  const add = (l: GraphLayer) => {
    layers.push(l);
    shapes.set(l.name, l.outShape);
  };
  if (json.class_name === 'Sequential') {
    add({ name: SEQUENTIAL_INPUT, className: 'InputLayer', config: {}, inbound: [], inShapes: [], outShape: withoutBatch(model.inputs[0]!.shape), weights: [] });
    let previous = SEQUENTIAL_INPUT;
    for (const entry of json.config.layers) {
      add(describeLayer(model, entry, [previous], shapes));
      previous = entry.config.name as string;
    }
    return { layers, outputs: [previous] };
  }
  for (const entry of json.config.layers) {
    const { inbound, problem } = inboundOf(entry);
    add(describeLayer(model, entry, inbound, shapes, problem));
  }
  return { layers, outputs: (json.config.output_layers ?? []).map((o) => o[0]) };
}

/** The layers feeding each layer of a LayersModel, by name (a Sequential model's first layer: none). */
export function layerInbound(model: tf.LayersModel): Map<string, string[]> {
  return new Map(describeModel(model).layers.map((l) => [l.name, l.inbound.filter((n) => n !== SEQUENTIAL_INPUT)]));
}
