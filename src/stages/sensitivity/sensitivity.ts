import { magnitudeMasks } from '../../compress/masks.js';
import { proposeLevels } from '../../compress/sensitivity.js';
import type { LayerCurve, ProposalTarget } from '../../compress/sensitivity.js';
import { takeRows } from '../../data/split.js';
import type { Dataset, Split } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { AbortedError } from '../../model/fit.js';
import { accuracyAndLoss } from '../../model/inspect.js';
import type { CondenseModel } from '../../model/kind.js';
import type { OutputOptions } from '../../model/outputs.js';
import { prunableWeights, readWeight, selectLayers, writeWeight } from '../../model/weights.js';
import type { AnyOwner, KeyedWeight } from '../../model/weights.js';
import type { SensitivityStage, StageParams } from '../../recipe/types.js';
import type { SensitivityResult } from '../../types/records.js';
import { Prng, shuffledIndices } from '../../util/prng.js';
import type { StageCheckProblem, StageDefinition, StageResult } from '../types.js';
import { SENSITIVITY_TYPE } from './proposal.js';

/** Fields of a `sensitivity` stage, generated from the schema. */
export type SensitivityParams = StageParams<SensitivityStage>;

/** The ladder by default: where layers of a dense network usually part ways. */
const DEFAULT_LEVELS = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98];

const selectorList = (what: string) => ({
  type: 'array',
  items: { type: 'string', minLength: 1 },
  default: [],
  description: `Layers to ${what}: exact name, "re:<regex>" or "type:<ClassName>"; a selector matching no layer is an error.`,
});

/**
 * `sensitivity`: prunes each selected layer alone at each level of a ladder, measures the accuracy
 * lost on a seeded sample of the *training* split (never the test split, which stays the judge
 * of the final model), and proposes per-layer sparsities meeting an overall target or an accuracy
 * budget. The model passes through unchanged; `prune` takes the proposal with `sparsity: stage:<name>`.
 */
export const sensitivityStage: StageDefinition<SensitivityParams> = {
  type: SENSITIVITY_TYPE,
  version: 1,
  description: 'Prunes each selected layer alone at a ladder of sparsities, measures the accuracy lost on training examples, and proposes per-layer sparsities (for `prune` with sparsity: stage:<name>).',
  properties: {
    levels: { type: 'array', items: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }, minItems: 1, uniqueItems: true, default: DEFAULT_LEVELS, description: `Sparsities each layer is pruned to alone, ascending (default ${DEFAULT_LEVELS.join(', ')}).` },
    sparsity: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'Target overall sparsity of the selected kernels: the proposal is the smallest accuracy tolerance, shared by every layer, whose levels reach it. Give this or maxDrop.' },
    maxDrop: { type: 'number', minimum: 0, maximum: 1, description: 'Accuracy budget: each layer gets the highest sparsity at which, pruned alone, it loses at most this much accuracy (0.01 = one point). Give this or sparsity.' },
    examples: { type: 'integer', minimum: 1, maximum: 1000000, default: 2000, description: 'Training examples (a seeded sample of the training split; all of it when smaller) the accuracy is measured on (default 2000).' },
    include: selectorList('scan (kernels only; default all)'),
    exclude: selectorList('leave out of the scan'),
  },
  selectors: [['include'], ['exclude']],
  changesModel: false,
  check(p) {
    const problems: StageCheckProblem[] = [];
    if ((p.sparsity === undefined) === (p.maxDrop === undefined)) {
      problems.push({ path: [], message: 'sensitivity needs exactly one of "sparsity" (an overall target) and "maxDrop" (an accuracy budget)', hint: 'e.g. sparsity: 0.9' });
    }
    if (p.levels.some((l, i) => i > 0 && l <= p.levels[i - 1]!)) problems.push({ path: ['levels'], message: 'levels must be ascending', hint: `e.g. levels: [${DEFAULT_LEVELS.join(', ')}]` });
    return problems;
  },
  async run(ctx): Promise<StageResult> {
    const p = ctx.params;
    const { model } = ctx.input;
    const layers = layerWeights(model, p.include, p.exclude);
    if (layers.length === 0) throw new UsageError('the selected layers have no prunable weights (kernels of rank ≥ 2)', { hint: 'select layers with kernels, e.g. include: ["type:Dense"]' });
    const sample = trainingSample(ctx.data.train, ctx.data.featureSize, p.examples, ctx.seed);
    const measure = accuracyOn(model, sample, ctx.data, ctx.outputsOf());
    const accuracy = measure();
    const curves: Array<LayerCurve & { className: string }> = [];
    for (const [i, layer] of layers.entries()) {
      if (ctx.signal.aborted) throw new AbortedError();
      curves.push({ ...layer.view, drops: dropsOf(layer.weights, p.levels, () => accuracy - measure()) });
      ctx.progress({ epoch: i + 1, epochs: layers.length });
    }
    const target: ProposalTarget = p.sparsity !== undefined ? { sparsity: p.sparsity } : { maxDrop: p.maxDrop! };
    const proposal = proposeLevels(p.levels, curves, target);
    if (!proposal) {
      throw new UsageError(`pruned each to the ladder's top level (${p.levels.at(-1)}), the selected layers reach less than sparsity ${p.sparsity}`, { hint: 'add a higher level to `levels`, or lower `sparsity`' });
    }
    const sensitivity: SensitivityResult = {
      levels: p.levels, examples: sample.count, accuracy, layers: curves, target,
      proposal: proposal.levels, sparsity: proposal.sparsity, tolerance: proposal.tolerance,
    };
    return { state: ctx.input, metrics: { proposedSparsity: proposal.sparsity, sensitivityTolerance: proposal.tolerance }, sensitivity };
  },
};

/** The selected layers with prunable weights, each with its weights, in model order. */
function layerWeights(model: CondenseModel, include: string[], exclude: string[]) {
  const selected = new Set(selectLayers(model, include, exclude));
  const byLayer = new Map<AnyOwner, Array<KeyedWeight<AnyOwner>>>();
  for (const w of prunableWeights(model)) if (selected.has(w.layer)) byLayer.set(w.layer, [...(byLayer.get(w.layer) ?? []), w]);
  return [...byLayer].map(([layer, weights]) => ({
    weights,
    view: { name: layer.name, className: layer.getClassName(), params: weights.reduce((n, w) => n + readWeight(w).length, 0) },
  }));
}

/** A seeded sample of `count` examples of the training split (all of it when smaller). */
export function trainingSample(train: Split, featureSize: number, count: number, seed: number): Split {
  if (count >= train.count) return train;
  return takeRows(train, featureSize, shuffledIndices(train.count, new Prng(seed)).subarray(0, count));
}

/** A function measuring the model's accuracy on `sample` as its weights are now. */
function accuracyOn(model: CondenseModel, sample: Split, data: Dataset, outputs: OutputOptions): () => number {
  return () => {
    const accuracy = accuracyAndLoss(model, sample, data, 512, outputs).accuracy;
    if (accuracy === undefined) throw new UsageError('sensitivity measures accuracy: it applies to classifiers', { hint: 'remove the sensitivity stage from a regression recipe' });
    return accuracy;
  };
}

/** The accuracy lost with the layer's weights magnitude-pruned to each level (each weight alone); the values are restored after. */
function dropsOf(weights: Array<KeyedWeight<AnyOwner>>, levels: readonly number[], lost: () => number): number[] {
  const originals = weights.map((w) => ({ key: w.key, values: readWeight(w) }));
  try {
    return levels.map((level) => {
      const masks = magnitudeMasks(originals, level, 'layer');
      weights.forEach((w, i) => writeWeight(w, originals[i]!.values.map((v, j) => v * masks.get(w.key)![j]!)));
      return lost();
    });
  } finally {
    weights.forEach((w, i) => writeWeight(w, originals[i]!.values));
  }
}
