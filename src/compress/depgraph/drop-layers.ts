// Dropping whole layers: a residual branch (everything feeding an Add besides its identity input)
// or a block (the layers named `<block>_…` between one input and one output), planned on the
// connections alone so that `validate` can refuse what is not removable before anything runs.

/** A layer as far as removal needs it: its name, class and producers (in input order). */
export interface ConnectedLayer {
  name: string;
  className: string;
  inbound: readonly string[];
}

/** What removing one target does: layers gone, and the layer whose consumers read another instead. */
export interface Removal {
  target: string;
  /** Every layer that disappears, in the model's order. */
  removed: string[];
  /** The layer whose output vanishes (the Add, the block's last layer) and the layer that replaces it. */
  exit: string;
  entry: string;
}

/** Layers after one removal: consumers of `exit` read `entry`; removed layers gone. */
export function rewired(layers: readonly ConnectedLayer[], removal: Removal): ConnectedLayer[] {
  const gone = new Set(removal.removed);
  return layers.filter((l) => !gone.has(l.name))
    .map((l) => ({ ...l, inbound: l.inbound.map((n) => (n === removal.exit ? removal.entry : n)) }));
}

/** Model outputs: the given ones, or (connections only) every layer nothing reads. */
function sinks(layers: readonly ConnectedLayer[]): string[] {
  const read = new Set(layers.flatMap((l) => l.inbound));
  return layers.filter((l) => !read.has(l.name)).map((l) => l.name);
}

function ancestors(byName: Map<string, ConnectedLayer>, from: string): Set<string> {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...(byName.get(name)?.inbound ?? []));
  }
  return seen;
}

/** The layers that stop reaching any output once `exit` is replaced by `entry`. */
function deadAfter(layers: readonly ConnectedLayer[], outputs: readonly string[], exit: string, entry: string): string[] {
  const after = layers.filter((l) => l.name !== exit).map((l) => ({ ...l, inbound: l.inbound.map((n) => (n === exit ? entry : n)) }));
  const byName = new Map(after.map((l) => [l.name, l]));
  const live = new Set<string>();
  for (const o of outputs) for (const a of ancestors(byName, o === exit ? entry : o)) live.add(a);
  return layers.filter((l) => !live.has(l.name)).map((l) => l.name);
}

/** Why a removal is refused, or the removal. */
export type RemovalPlan = { removal: Removal } | { problem: string; hint?: string };

/** Block names of a model: prefixes `<block>_` shared by several layers, such as bert's `block1`. */
export function blockNames(layers: readonly ConnectedLayer[]): string[] {
  const counts = new Map<string, number>();
  for (const l of layers) {
    const m = /^(.+?\d+)_/.exec(l.name);
    if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n > 1).map(([b]) => b);
}

/**
 * Plans removing `target`: the residual branch of the merge layer of that name, or the block of
 * that name. `outputs` defaults to the layers nothing reads.
 */
export function planRemoval(layers: readonly ConnectedLayer[], target: string, outputs: readonly string[] = sinks(layers)): RemovalPlan {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const layer = byName.get(target);
  if (layer) return planBranch(layers, byName, layer, outputs);
  const members = layers.filter((l) => l.name.startsWith(`${target}_`));
  if (members.length === 0) {
    return { problem: `the model has no layer or block named "${target}"`, hint: removableHint(layers) };
  }
  return planBlock(layers, members, target, outputs);
}

function removableHint(layers: readonly ConnectedLayer[]): string {
  const adds = layers.filter((l) => l.className === 'Add').map((l) => l.name);
  const blocks = blockNames(layers);
  if (!adds.length && !blocks.length) return 'this model has no residual branch (an Add joining a layer\'s input to its output) and no blocks';
  return `removable: ${[...blocks, ...adds].join(', ')}`;
}

function planBranch(layers: readonly ConnectedLayer[], byName: Map<string, ConnectedLayer>, add: ConnectedLayer, outputs: readonly string[]): RemovalPlan {
  if (add.className !== 'Add') {
    return { problem: `${add.name} is a ${add.className}, not an Add: only a residual branch (the input of an Add besides its identity input) can be removed`, hint: removableHint(layers) };
  }
  const inputs = add.inbound;
  const identity = inputs.find((i) => inputs.every((j) => ancestors(byName, j).has(i)));
  if (inputs.length < 2 || identity === undefined) {
    return {
      problem: `${add.name} is not a residual merge: none of its inputs (${inputs.join(', ')}) passes unchanged around the others`,
      hint: 'a branch can be removed where an Add joins a tensor with something computed from that same tensor',
    };
  }
  const removed = deadAfter(layers, outputs, add.name, identity);
  const shared = removed.find((n) => n !== add.name && !ancestors(byName, add.name).has(n));
  if (shared) return { problem: `internal error: removing ${add.name} would drop ${shared}, which does not feed it` };
  return { removal: { target: add.name, removed, exit: add.name, entry: identity } };
}

function planBlock(layers: readonly ConnectedLayer[], members: ConnectedLayer[], target: string, outputs: readonly string[]): RemovalPlan {
  const inside = new Set(members.map((m) => m.name));
  const entries = [...new Set(members.flatMap((m) => m.inbound.filter((n) => !inside.has(n))))];
  const readOutside = new Set([...outputs, ...layers.filter((l) => !inside.has(l.name)).flatMap((l) => l.inbound)]);
  const exits = members.filter((m) => readOutside.has(m.name)).map((m) => m.name);
  if (entries.length !== 1 || exits.length !== 1) {
    return {
      problem: `block ${target} (the layers named ${target}_…) must read one tensor and hand on one; it reads ${entries.join(', ') || 'nothing'} and hands on ${exits.join(', ') || 'nothing'}`,
      hint: 'name a whole block (bert: block1, block2, …) or the Add of one residual branch',
    };
  }
  const removed = deadAfter(layers, outputs, exits[0]!, entries[0]!);
  return { removal: { target, removed, exit: exits[0]!, entry: entries[0]! } };
}

/** Plans every target in turn (each on the model the previous ones left); the first refusal ends it. */
export function planRemovals(layers: readonly ConnectedLayer[], targets: readonly string[], outputs?: readonly string[]): { removals: Removal[] } | { index: number; problem: string; hint?: string } {
  let current = [...layers];
  let outs = outputs ? [...outputs] : undefined;
  const removals: Removal[] = [];
  for (const [index, target] of targets.entries()) {
    const plan = planRemoval(current, target, outs);
    if ('problem' in plan) return { index, ...plan };
    removals.push(plan.removal);
    current = rewired(current, plan.removal);
    outs = outs?.map((o) => (o === plan.removal.exit ? plan.removal.entry : o));
  }
  return { removals };
}
