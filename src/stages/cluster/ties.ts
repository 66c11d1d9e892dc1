import * as tf from '@tensorflow/tfjs';
import { keyedWeights, readWeight, writeWeight } from '../../model/weights.js';
import type { KeyedWeight } from '../../model/weights.js';
import type { StateCodec, TrainingConstraint } from '../types.js';

/** The state kind a `cluster` stage adds. */
export const CLUSTERS_KIND = 'clusters';

/** Which elements of one weight share a value (weight sharing). */
export interface ClusterTies {
  /** Clusters (shared values), at most 256. */
  count: number;
  /** Cluster 0 is zero and stays zero (pruned weights). */
  pinnedZero: boolean;
  /** Cluster id of every element, in the weight's row-major order. */
  assignments: Uint8Array;
}

/** Cluster ties by weight key. */
export type ClustersState = Map<string, ClusterTies>;

type TiesIndex = Array<{ key: string; count: number; pinnedZero: boolean; length: number }>;

/**
 * Cluster assignments: an index as JSON, every assignment one byte. Tied to the weights (a stage
 * that trains freely or prunes releases them), but a finetune keeps them through
 * {@link tieTraining}.
 */
export const clustersCodec: StateCodec<ClustersState> = {
  kind: CLUSTERS_KIND,
  empty: () => new Map(),
  tiedToWeights: true,
  constrainTraining: (ties, model) => (ties.size ? tieTraining(ties, model) : undefined),
  encode(ties) {
    const index: TiesIndex = [...ties].map(([key, t]) => ({ key, count: t.count, pinnedZero: t.pinnedZero, length: t.assignments.length }));
    const bytes = new Uint8Array(index.reduce((n, e) => n + e.length, 0));
    let offset = 0;
    for (const t of ties.values()) {
      bytes.set(t.assignments, offset);
      offset += t.assignments.length;
    }
    return { json: index, bytes };
  },
  decode(json, bytes = new Uint8Array()) {
    const out: ClustersState = new Map();
    let offset = 0;
    for (const { key, count, pinnedZero, length } of json as TiesIndex) {
      out.set(key, { count, pinnedZero, assignments: bytes.slice(offset, offset + length) });
      offset += length;
    }
    return out;
  },
};

/**
 * Keeps clustered weights tied through training, as Deep Compression fine-tunes its centroids:
 * every member's gradient is replaced by the sum of its cluster's gradients (the gradient of the
 * shared value), the pinned zero's by 0. Every optimizer condense has updates elementwise from the
 * gradient and its own per-element state, so members that start equal with equal gradients stay
 * equal (measured: the re-tie never changed a value on wasm or native with adam, sgd, momentum
 * or rmsprop). The re-tie after each step makes that exact whatever a backend's kernels do (a SIMD
 * remainder loop, say), so a tied weight never holds more than `count` distinct values. Re-tying
 * alone (no gradient rewrite) would let members drift apart within a step and snap them to one
 * member's update: not the centroid's gradient.
 */
export function tieTraining(ties: ClustersState, model: tf.LayersModel): TrainingConstraint {
  const tied = keyedWeights(model).filter((w) => ties.has(w.key)).map((w) => ({ w, t: ties.get(w.key)!, name: (w.variable.read() as tf.Variable).name, first: firstMembers(ties.get(w.key)!) }));
  return {
    transformGradients(grads) {
      const out = { ...grads };
      for (const { t, name } of tied) {
        const g = grads[name];
        if (g) out[name] = tf.tensor(tieGradient(g.dataSync() as Float32Array, t), g.shape);
      }
      return out;
    },
    afterStep() {
      for (const { w, t, first } of tied) retie(w, t, first);
    },
  };
}

/** Every element's gradient replaced by its cluster's summed gradient (0 for the pinned zero). */
export function tieGradient(grad: Float32Array, t: ClusterTies): Float32Array {
  const sums = new Float64Array(t.count);
  for (let i = 0; i < grad.length; i++) sums[t.assignments[i]!] += grad[i]!;
  if (t.pinnedZero) sums[0] = 0;
  const out = new Float32Array(grad.length);
  for (let i = 0; i < out.length; i++) out[i] = sums[t.assignments[i]!]!;
  return out;
}

/** The first element of each cluster (-1 for an empty one). */
function firstMembers(t: ClusterTies): Int32Array {
  const first = new Int32Array(t.count).fill(-1);
  for (let i = t.assignments.length - 1; i >= 0; i--) first[t.assignments[i]!] = i;
  return first;
}

/** Sets every member to its cluster's first member (the pinned zero to 0), when any differs. */
function retie(w: KeyedWeight, t: ClusterTies, first: Int32Array): void {
  const values = readWeight(w);
  let changed = false;
  for (let i = 0; i < values.length; i++) {
    const a = t.assignments[i]!;
    const shared = t.pinnedZero && a === 0 ? 0 : values[first[a]!]!;
    if (!Object.is(values[i], shared)) {
      values[i] = shared;
      changed = true;
    }
  }
  if (changed) writeWeight(w, values);
}

/** Distinct values of each tied weight of `model` (a check that the ties hold). */
export function distinctTiedValues(ties: ClustersState, model: tf.LayersModel): Map<string, number> {
  return new Map(keyedWeights(model).filter((w) => ties.has(w.key)).map((w) => [w.key, new Set(readWeight(w)).size]));
}
