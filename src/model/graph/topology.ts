// What condense reads of a TF.js graph model's model.json without running it: its nodes, who
// consumes each weight, and what its output holds. Nothing here imports TF.js at run time.
import type { ScoreKind } from '../model-types.js';
import type { WeightGroup } from '../model-json.js';

/** A node of a graph model's GraphDef, as model.json holds it. */
export interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

/** A graph model's model.json, as condense reads and writes it (other fields are kept as they are). */
export interface GraphModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology: { node: GraphNode[]; [field: string]: unknown };
  weightsManifest: WeightGroup[];
  signature?: Record<string, unknown>;
  modelInitializer?: Record<string, unknown>;
  [field: string]: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a parsed model.json is a graph model (by its `format`, or a GraphDef node list). */
export function isGraphModelJson(json: unknown): json is GraphModelJson {
  if (!isObject(json)) return false;
  const topology = json.modelTopology;
  return json.format === 'graph-model' || (isObject(topology) && Array.isArray(topology.node));
}

/** A node's input reference without its output index (`:1`) or control-dependency mark (`^`). */
const nodeOf = (ref: string) => ref.replace(/^\^/, '').replace(/:\d+$/, '');

/** For each node name, the nodes reading it: their op and at which input position. */
export function graphConsumers(nodes: readonly GraphNode[]): Map<string, Array<{ op: string; input: number }>> {
  const consumers = new Map<string, Array<{ op: string; input: number }>>();
  for (const node of nodes) {
    (node.input ?? []).forEach((ref, input) => {
      if (ref.startsWith('^')) return;
      const name = nodeOf(ref);
      consumers.set(name, [...(consumers.get(name) ?? []), { op: node.op, input }]);
    });
  }
  return consumers;
}

/** Probabilities when the output, through any Identity ops, comes from a Softmax or Sigmoid op; logits otherwise. */
export function outputScores(nodes: readonly GraphNode[], output: string): ScoreKind {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  let node = byName.get(nodeOf(output));
  for (let hops = 0; node && node.op === 'Identity' && hops < 100; hops++) node = byName.get(nodeOf(node.input?.[0] ?? ''));
  return node && (node.op === 'Softmax' || node.op === 'Sigmoid') ? 'probabilities' : 'logits';
}
