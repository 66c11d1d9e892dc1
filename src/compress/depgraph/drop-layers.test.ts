import { describe, expect, it } from 'vitest';
import { planRemoval, planRemovals } from './drop-layers.js';
import type { ConnectedLayer } from './drop-layers.js';

const L = (name: string, className: string, ...inbound: string[]): ConnectedLayer => ({ name, className, inbound });

// x → stem → (a1 → a2) + stem → add → out
const residual = [L('x', 'InputLayer'), L('stem', 'Dense', 'x'), L('a1', 'Dense', 'stem'), L('a2', 'Dense', 'a1'),
  L('add', 'Add', 'stem', 'a2'), L('out', 'Dense', 'add')];

describe('planning layer removals', () => {
  it('removes the residual branch of an Add: its consumers read the identity input', () => {
    const plan = planRemoval(residual, 'add');
    expect(plan).toEqual({ removal: { target: 'add', removed: ['a1', 'a2', 'add'], exit: 'add', entry: 'stem' } });
  });

  it('finds the identity input whichever side of the Add it is on', () => {
    const swapped = residual.map((l) => (l.name === 'add' ? L('add', 'Add', 'a2', 'stem') : l));
    expect(planRemoval(swapped, 'add')).toMatchObject({ removal: { entry: 'stem', removed: ['a1', 'a2', 'add'] } });
  });

  it('keeps a branch layer that something else still reads', () => {
    const shared = [...residual, L('side', 'Dense', 'a1')];
    expect(planRemoval(shared, 'add', ['out', 'side'])).toMatchObject({ removal: { removed: ['a2', 'add'] } });
  });

  it('refuses an Add with a projection shortcut: neither input passes unchanged', () => {
    const projected = [L('x', 'InputLayer'), L('stem', 'Dense', 'x'), L('a1', 'Dense', 'stem'), L('short', 'Dense', 'stem'),
      L('add', 'Add', 'short', 'a1'), L('out', 'Dense', 'add')];
    expect(planRemoval(projected, 'add')).toEqual({
      problem: 'add is not a residual merge: none of its inputs (short, a1) passes unchanged around the others',
      hint: 'a branch can be removed where an Add joins a tensor with something computed from that same tensor',
    });
  });

  it('refuses a layer that is not an Add, and an unknown name, listing what can be removed', () => {
    expect(planRemoval(residual, 'a1')).toMatchObject({ problem: expect.stringContaining('a1 is a Dense, not an Add'), hint: 'removable: add' });
    expect(planRemoval(residual, 'nope')).toMatchObject({ problem: 'the model has no layer or block named "nope"', hint: 'removable: add' });
  });

  it('removes a block (layers named <block>_…) between its one input and its one output', () => {
    const blocks = [L('x', 'InputLayer'), L('emb', 'Embedding', 'x'),
      L('block1_f', 'Dense', 'emb'), L('block1_add', 'Add', 'emb', 'block1_f'), L('block1_norm', 'LayerNormalization', 'block1_add'),
      L('block2_f', 'Dense', 'block1_norm'), L('block2_add', 'Add', 'block1_norm', 'block2_f'), L('block2_norm', 'LayerNormalization', 'block2_add'),
      L('pool', 'GlobalAveragePooling1D', 'block2_norm')];
    expect(planRemoval(blocks, 'block1')).toEqual({ removal: { target: 'block1', removed: ['block1_f', 'block1_add', 'block1_norm'], exit: 'block1_norm', entry: 'emb' } });
    const both = planRemovals(blocks, ['block1', 'block2']);
    expect(both).toMatchObject({ removals: [{ entry: 'emb' }, { entry: 'emb', exit: 'block2_norm' }] });
    expect(planRemoval(blocks, 'block3')).toMatchObject({ hint: 'removable: block1, block2, block1_add, block2_add' });
  });

  it('refuses a block that hands on two tensors, and names a later target that an earlier removal took', () => {
    const leaky = [L('x', 'InputLayer'), L('b1_a', 'Dense', 'x'), L('b1_b', 'Dense', 'b1_a'), L('out', 'Concatenate', 'b1_a', 'b1_b')];
    expect(planRemoval(leaky, 'b1')).toMatchObject({ problem: 'block b1 (the layers named b1_…) must read one tensor and hand on one; it reads x and hands on b1_a, b1_b' });
    expect(planRemovals(residual, ['add', 'add'])).toMatchObject({ index: 1, problem: 'the model has no layer or block named "add"' });
  });
});
