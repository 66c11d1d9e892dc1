import { clusterValues, sharedValues } from '../../compress/cluster.js';
import type { ClusterGrid, ClusterInit } from '../../compress/cluster.js';
import { UsageError } from '../../errors.js';
import { layerTargetSchema, targetFor, targetKeyProblems } from '../../model/layer-targets.js';
import { prunableWeights, readWeight, selectLayers, writeWeight } from '../../model/weights.js';
import type { ClusterStage, StageParams } from '../../recipe/types.js';
import { Prng } from '../../util/prng.js';
import type { StageDefinition, StageResult } from '../types.js';
import { CLUSTERS_KIND, clustersCodec } from './ties.js';
import type { ClustersState } from './ties.js';

/** Fields of a `cluster` stage, generated from the schema. */
export type ClusterParams = StageParams<ClusterStage>;

// Compile-time checks against drift: the schema's choices are those the algorithm implements.
type Assignable<T extends U, U> = T;
type _InitCovered = Assignable<ClusterParams['init'], ClusterInit>;
type _GridCovered = Assignable<ClusterParams['grid'], ClusterGrid>;

const selectorList = (what: string) => ({
  type: 'array',
  items: { type: 'string', minLength: 1 },
  default: [],
  description: `Layers to ${what}: exact name, "re:<regex>" or "type:<ClassName>"; a selector matching no layer is an error.`,
});

/**
 * `cluster`: Deep Compression's weight sharing. Each selected kernel gets at most `clusters`
 * distinct values (1-D k-means), on the affine grid a later uint8/uint16 quantize chooses, so the
 * stock TF.js loader decodes exactly them. The ties are state (`clusters`): a finetune keeps them.
 */
export const clusterStage: StageDefinition<ClusterParams> = {
  type: 'cluster',
  version: 1,
  description: 'Weight sharing: k-means clusters each selected kernel to at most `clusters` values on the export grid; a later finetune keeps them tied.',
  properties: {
    clusters: layerTargetSchema({ type: 'integer', minimum: 2, maximum: 256 }, 'Distinct values per kernel, zero included (2…256).'),
    init: { enum: ['linear', 'density', 'kmeans++'], default: 'linear', description: 'Initial centroids: linear over [min, max] (Han et al.; default), density (quantiles), or kmeans++ (seeded).' },
    preserveSparsity: { type: 'boolean', default: true, description: 'Zero is a pinned centroid: zero (pruned) weights stay zero, nonzero ones never join it (default true). False releases the masks of clustered kernels.' },
    grid: { enum: ['uint8', 'uint16', 'none'], default: 'uint8', description: 'Snap centroids to the affine grid a later quantize stage of that dtype chooses (default uint8), or none.' },
    include: selectorList('cluster (kernels only; default all)'),
    exclude: selectorList('leave unclustered'),
  },
  required: ['clusters'],
  selectors: [['include'], ['exclude']],
  stateCodecs: [clustersCodec],
  // Needs no training: a GraphModel's filters and weight matrices can share values too.
  graphModels: () => true,
  check(p, { model }) {
    return targetKeyProblems(p.clusters, model.layers, 'clusters');
  },
  async run(ctx): Promise<StageResult> {
    const p = ctx.params;
    const { model } = ctx.input;
    const layers = new Set(selectLayers(model, p.include, p.exclude));
    const selected = prunableWeights(model).filter((w) => layers.has(w.layer));
    if (selected.length === 0) throw new UsageError('the selected layers have no kernels to cluster (weights of rank ≥ 2)', { hint: 'select layers with kernels, e.g. include: ["type:Dense"]' });
    const prng = new Prng(ctx.seed);
    const ties: ClustersState = new Map((ctx.input[CLUSTERS_KIND] as ClustersState | undefined) ?? []);
    const masks = new Map(ctx.input.masks);
    let clustered = 0;
    let squaredError = 0;
    let squaredNorm = 0;
    for (const w of selected) {
      const k = targetFor(p.clusters, { name: w.layer.name, className: w.layer.getClassName() });
      if (k === undefined) continue;
      const values = readWeight(w);
      const c = clusterValues(values, { clusters: k, init: p.init, preserveSparsity: p.preserveSparsity, grid: p.grid, random: () => prng.next() });
      const shared = sharedValues(c);
      for (let i = 0; i < values.length; i++) {
        squaredError += (shared[i]! - values[i]!) ** 2;
        squaredNorm += values[i]! ** 2;
      }
      writeWeight(w, shared);
      ties.set(w.key, { count: c.centroids.length, pinnedZero: c.pinnedZero, assignments: c.assignments });
      if (!p.preserveSparsity) masks.delete(w.key);
      clustered += values.length;
    }
    return {
      state: ctx.weightsChanged(ctx.input, { masks, [CLUSTERS_KIND]: ties }),
      metrics: { clusteredParams: clustered, clusterRelativeError: squaredNorm ? Math.sqrt(squaredError / squaredNorm) : 0 },
    };
  },
};
