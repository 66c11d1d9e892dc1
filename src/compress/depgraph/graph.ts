// The dependency graph (after Torch-Pruning's DepGraph, arXiv 2301.12900): every element of every
// layer output (a channel, or a flattened position × channel) is a node; each layer's rule links
// its input elements to the output elements they become. Connected elements must be removed
// together; elements reaching a model input, a model output or a layer the graph does not know are
// fixed, with the reason.
import { LAYER_RULES, unknownClassReason } from './rules.js';
import type { Channel, ChannelGroup, GraphLayer, LayerGraph } from './types.js';
import { UnionFind } from './union-find.js';

/** Where each layer's output elements sit in one index space. */
interface ElementSpace {
  offset: Map<string, number>;
  size: Map<string, number>;
  /** The layer owning each element. */
  owner: string[];
  total: number;
}

function elementSpace(layers: GraphLayer[]): ElementSpace {
  const offset = new Map<string, number>();
  const size = new Map<string, number>();
  const owner: string[] = [];
  for (const l of layers) {
    const n = l.outShape.at(-1) ?? 0;
    offset.set(l.name, owner.length);
    size.set(l.name, n);
    for (let i = 0; i < n; i++) owner.push(l.name);
  }
  return { offset, size, owner, total: owner.length };
}

/** Links every layer's elements by its rule; returns the reason each fixed element is fixed. */
function linkLayers(graph: LayerGraph, space: ElementSpace, sets: UnionFind): Map<number, string> {
  const fixed = new Map<number, string>();
  const fixAll = (name: string, why: string) => {
    const base = space.offset.get(name)!;
    for (let i = 0; i < space.size.get(name)!; i++) if (!fixed.has(base + i)) fixed.set(base + i, why);
  };
  const outputs = new Set(graph.outputs);
  for (const layer of graph.layers) {
    const rule = LAYER_RULES[layer.className];
    const blocked = layer.problem ?? (rule ? undefined : unknownClassReason(layer));
    const at = (k: number) => space.offset.get(layer.inbound[k]!)!;
    const reason = blocked ?? rule!.couple(layer, (k, i, o) => sets.union(at(k) + i, space.offset.get(layer.name)! + o), {
      tie: (k, i, m, j) => sets.union(at(k) + i, at(m) + j),
      fix: (k, why) => fixAll(layer.inbound[k]!, why),
    });
    if (reason) {
      for (const from of [...layer.inbound, layer.name]) fixAll(from, reason);
      continue;
    }
    if (outputs.has(layer.name)) fixAll(layer.name, `${layer.name} produces the model's output: its units never shrink`);
    const outputReason = rule!.outputFixed?.(layer);
    if (outputReason) fixAll(layer.name, outputReason);
  }
  return fixed;
}

/**
 * The channel groups of a model: channels that touch the same layer outputs form one group (the
 * filters of a convolution with the BatchNormalization after it; every producer feeding one Add).
 * Groups are in the order of their first layer output; channels in the order of their elements.
 */
export function channelGroups(graph: LayerGraph): ChannelGroup[] {
  const space = elementSpace(graph.layers);
  const sets = new UnionFind(space.total);
  const fixed = linkLayers(graph, space, sets);
  const members = new Map<number, number[]>();
  for (let e = 0; e < space.total; e++) {
    const root = sets.find(e);
    const list = members.get(root);
    if (list) list.push(e);
    else members.set(root, [e]);
  }
  const producing = new Set(graph.layers.filter((l) => LAYER_RULES[l.className]?.sizeField).map((l) => l.name));
  const groups = new Map<string, ChannelGroup>();
  for (const elements of members.values()) {
    const channel: Channel = new Map();
    for (const e of elements) {
      const name = space.owner[e]!;
      const list = channel.get(name);
      if (list) list.push(e - space.offset.get(name)!);
      else channel.set(name, [e - space.offset.get(name)!]);
    }
    const tensors = [...channel.keys()];
    const key = tensors.join('\u0000');
    const group = groups.get(key) ?? { producers: tensors.filter((t) => producing.has(t)), tensors, channels: [] };
    groups.set(key, group);
    group.channels.push(channel);
    const why = elements.map((e) => fixed.get(e)).find((r) => r !== undefined);
    if (why && !group.fixed) group.fixed = why;
    if (!group.fixed && group.producers.length === 0) group.fixed = `no layer produces the channels of ${tensors[0]}`;
  }
  return [...groups.values()];
}
