// Attention heads and feed-forward neurons, found on the connections alone (so that `validate`
// can say a model has none before anything runs). A head is one input of a Concatenate whose
// branch computes softmax(q·kᵀ)·v from Dense projections (the bert builtin's pattern, and that of
// any model built the same way); a feed-forward layer is a Dense read only by a Dense whose
// output joins an Add (the residual around a transformer block's FFN).
import type { ConnectedLayer } from './drop-layers.js';

/** One attention head: the layers only it uses, and where its output sits in the joined heads. */
export interface AttentionHead {
  /** Its output (the Dot giving softmax(q·kᵀ)·v): the input of the join it fills. */
  output: string;
  /** Every layer only this head uses (projections, products, softmax), in the model's order. */
  layers: string[];
  /** The Dense projections among them (query, key, value). */
  projections: string[];
}

/** The heads of one attention: joined by a Concatenate, read by one output projection. */
export interface Attention {
  /** The Concatenate joining the heads. */
  join: string;
  /** The Dense reading the joined heads (its kernel rows are the heads' channels, in order). */
  projection: string;
  heads: AttentionHead[];
}

const PASS = new Set(['Dropout', 'Activation', 'ReLU']);

function consumersOf(layers: readonly ConnectedLayer[]): Map<string, string[]> {
  const consumers = new Map<string, string[]>(layers.map((l) => [l.name, []]));
  for (const l of layers) for (const n of l.inbound) consumers.get(n)?.push(l.name);
  return consumers;
}

/** The layers that only `output`'s branch uses: `output` and every ancestor read by nothing else. */
function exclusiveBranch(layers: readonly ConnectedLayer[], consumers: Map<string, string[]>, output: string): Set<string> {
  const inside = new Set([output]);
  const order = layers.map((l) => l.name);
  for (let i = order.indexOf(output) - 1; i >= 0; i--) {
    const name = order[i]!;
    const readers = consumers.get(name)!;
    if (readers.length && readers.every((r) => inside.has(r))) inside.add(name);
  }
  return inside;
}

/** `output` computes softmax(q·kᵀ)·v from Dense projections inside `branch`. */
function isHead(byName: Map<string, ConnectedLayer>, branch: Set<string>, output: string): boolean {
  const classOf = (n: string | undefined) => (n && branch.has(n) ? byName.get(n)!.className : undefined);
  const through = (n: string | undefined) => {
    while (n && PASS.has(classOf(n) ?? '')) n = byName.get(n)!.inbound[0];
    return n;
  };
  const context = byName.get(output)!;
  if (context.className !== 'Dot' || context.inbound.length !== 2) return false;
  const probabilities = through(context.inbound[0]);
  if (classOf(probabilities) !== 'Softmax' || classOf(through(context.inbound[1])) !== 'Dense') return false;
  const scores = byName.get(probabilities!)!.inbound[0];
  if (classOf(scores) !== 'Dot') return false;
  return byName.get(scores!)!.inbound.every((n) => classOf(through(n)) === 'Dense');
}

/** Every attention of the model with its heads (an attention of one head included). */
export function findAttentions(layers: readonly ConnectedLayer[]): Attention[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const consumers = consumersOf(layers);
  const found: Attention[] = [];
  for (const join of layers.filter((l) => l.className === 'Concatenate')) {
    const readers = consumers.get(join.name)!;
    if (readers.length !== 1 || byName.get(readers[0]!)!.className !== 'Dense') continue;
    const heads = join.inbound.map((output) => {
      const branch = exclusiveBranch(layers, consumers, output);
      if (!isHead(byName, branch, output)) return undefined;
      const inOrder = layers.filter((l) => branch.has(l.name));
      return { output, layers: inOrder.map((l) => l.name), projections: inOrder.filter((l) => l.className === 'Dense').map((l) => l.name) };
    });
    if (heads.every((h) => h !== undefined)) found.push({ join: join.name, projection: readers[0]!, heads: heads as AttentionHead[] });
  }
  return found;
}

/**
 * The inner Dense layers of feed-forward blocks: a Dense whose only reader is a Dense whose output
 * (through dropout) joins an Add. Their units are the feed-forward neurons.
 */
export function findFeedForward(layers: readonly ConnectedLayer[]): string[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const consumers = consumersOf(layers);
  const only = (name: string) => {
    const readers = consumers.get(name)!;
    return readers.length === 1 ? byName.get(readers[0]!) : undefined;
  };
  return layers.filter((l) => {
    if (l.className !== 'Dense') return false;
    const outer = only(l.name);
    if (outer?.className !== 'Dense') return false;
    let next = only(outer.name);
    while (next && PASS.has(next.className)) next = only(next.name);
    return next?.className === 'Add';
  }).map((l) => l.name);
}
