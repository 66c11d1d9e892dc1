// How much each channel of a group matters, from the weights that make it.
import type { ChannelGroup, GraphLayer } from './types.js';

/**
 * `l1` / `l2`: the L1 norm / L2 norm of the kernel slices that produce the channel, taken over every
 * producer of the group (the three convolutions feeding one Add count together); `bnScale`: the
 * summed |γ| of the group's BatchNormalization layers (network slimming); `taylor`: the summed
 * |w · ∂L/∂w| (first-order Taylor) of the producing kernel slices, read through the reader as
 * precomputed scores.
 */
export type ImportanceKind = 'l1' | 'l2' | 'bnScale' | 'taylor';

/** Reads a weight's values by layer name and short weight name, undefined when it has none. */
export type WeightReader = (layer: string, weight: string) => Float32Array | undefined;

const PRODUCING_KERNEL: Record<string, string> = { Dense: 'kernel', Conv1D: 'kernel', Conv2D: 'kernel', SeparableConv2D: 'pointwise_kernel' };

/** Per output unit, Σ|w| (l1) or Σw² (l2) over a kernel whose last axis is the output. */
function columnSums(kernel: Float32Array, outputs: number, kind: 'l1' | 'l2'): Float64Array {
  const sums = new Float64Array(outputs);
  for (let i = 0; i < kernel.length; i++) sums[i % outputs] += kind === 'l1' ? Math.abs(kernel[i]!) : kernel[i]! * kernel[i]!;
  return sums;
}

/**
 * The importance of each channel of `group` (in its order), or undefined when the kind does not
 * apply to it (`bnScale` on a group without BatchNormalization).
 */
export function channelImportance(group: ChannelGroup, layers: ReadonlyMap<string, GraphLayer>, read: WeightReader, kind: ImportanceKind): Float64Array | undefined {
  const scores = new Float64Array(group.channels.length);
  const members = kind === 'bnScale'
    ? group.tensors.filter((t) => layers.get(t)?.className === 'BatchNormalization' && read(t, 'gamma'))
    : group.producers;
  if (members.length === 0) return undefined;
  for (const name of members) {
    const layer = layers.get(name)!;
    const values = kind === 'bnScale' ? read(name, 'gamma')! : read(name, PRODUCING_KERNEL[layer.className]!)!;
    const perUnit = kind === 'bnScale' ? Float64Array.from(values, Math.abs) : columnSums(values, layer.outShape.at(-1)!, kind === 'l2' ? 'l2' : 'l1');
    group.channels.forEach((channel, c) => {
      for (const e of channel.get(name) ?? []) scores[c] += perUnit[e]!;
    });
  }
  return kind === 'l2' ? scores.map(Math.sqrt) : scores;
}
