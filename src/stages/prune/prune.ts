import type { CondenseModel } from '../../model/kind.js';
import { UsageError } from '../../errors.js';
import { combineMasks, magnitudeMasks, nmMask } from '../../compress/masks.js';
import { unknownClassReason } from '../../compress/depgraph/rules.js';
import { pruneLayers, removalProblems } from './drop.js';
import { pruneStructured } from './structured.js';
import { attentionProblems } from './removals.js';
import { polynomialSparsity } from '../../compress/schedule.js';
import { groupByTarget, layerTargetSchema, targetKeyProblems } from '../../model/layer-targets.js';
import type { LayerTarget } from '../../model/layer-targets.js';
import { resolveLayerTarget, stageTargetProblems, targetReferences } from '../sensitivity/proposal.js';
import { applyMasks, prunableWeights, readWeight, selectLayers } from '../../model/weights.js';
import type { AnyOwner, KeyedWeight } from '../../model/weights.js';
import { adaptAfterStage } from '../train/bn-adaptation.js';
import { trainWith, trainingMetrics, trainingProperties } from '../train/train.js';
import type { PruneParams } from './params.js';
import type { ModelView, StageCheckProblem, StageDefinition, StageResult } from '../types.js';

export type { PruneParams, PruneSchedule } from './params.js';

const selectorList = (what: string) => ({
  type: 'array',
  items: { type: 'string', minLength: 1 },
  default: [],
  description: `Layers to ${what}: exact name, "re:<regex>" or "type:<ClassName>"; a selector matching no layer is an error.`,
});

const { epochs: _epochs, ...rest } = trainingProperties;

/** The weights of the selected layers that pruning may zero (kernels; never biases). */
function prunableSelection(model: CondenseModel, include: string[], exclude: string[]) {
  const layers = new Set(selectLayers(model, include, exclude));
  return prunableWeights(model).filter((w) => layers.has(w.layer));
}

/** `prune`: magnitude pruning (one-shot or gradual while training), or N:M pruning. */
export const pruneStage: StageDefinition<PruneParams> = {
  type: 'prune',
  // 2: structured pruning groups coupled channels through a dependency graph and honours `scope`.
  // 3: BatchNormalization adaptation after pruning (bnAdaptation); structured in steps.
  // 4: structured couples channels through Dot (attention's q·kᵀ and softmax·v); heads and ffn.
  version: 4,
  description: 'Zeroes the smallest-magnitude weights of the selected layers (at once or gradually while training), or all but n of every m; or removes whole coupled channels (structured), residual branches or blocks (layers).',
  properties: {
    method: { enum: ['magnitude', 'nm', 'structured', 'layers'], default: 'magnitude', description: 'magnitude: zero the smallest |w| to `sparsity`; nm: keep the n largest |w| of every m consecutive weights (N:M, e.g. 2:4); structured: remove the `sparsity` fraction of the least important channels (units, filters, with every layer coupled to them) of any Sequential or functional model, making it smaller, and in transformers whole attention `heads` and feed-forward neurons (`ffn`); layers: drop the residual branches and blocks `drop` names.' },
    drop: { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string', minLength: 1 }, description: 'layers: what to drop: an Add (its residual branch goes: the Add\'s output becomes its identity input, and the layers only that branch used disappear) or a block name (bert: block1, block2, …: the layers named <block>_…, between one input and one output of the same shape).' },
    sparsity: layerTargetSchema({ type: 'number', minimum: 0, exclusiveMaximum: 1 }, 'Target fraction of selected weights that are zero (magnitude; nm implies 1 − n/m; structured: of units).', { fromStage: 'the per-layer sparsities an earlier sensitivity stage of that name proposed (magnitude)' }),
    // No schema defaults for n and m: they would enter every magnitude stage's fingerprint.
    n: { type: 'integer', minimum: 1, maximum: 64, description: 'Weights kept per group (nm; default 2).' },
    m: { type: 'integer', minimum: 2, maximum: 64, description: 'Group size along the reduction axis (nm; default 4).' },
    scope: { enum: ['global', 'layer'], default: 'global', description: 'One threshold across the selection (global) or per layer (structured: per group of coupled channels).' },
    // No schema defaults for the structured-only fields: they would enter every magnitude stage's fingerprint.
    importance: { enum: ['l1', 'l2', 'bnScale', 'taylor'], description: 'structured: how channels are ranked: L1 or L2 norm of the kernels producing them, |γ| of their BatchNormalization, or taylor: |w·∂L/∂w| of those kernels over the first 4 training batches of `batchSize` (default l2).' },
    maxSparsity: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'structured with scope global: the largest fraction any one group may lose (default 0.9).' },
    roundTo: { type: 'integer', minimum: 1, maximum: 1024, description: 'structured: every group keeps a multiple of this many channels (default 1).' },
    heads: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'structured: fraction of attention heads removed whole (of each attention, or of all with scope global), every attention keeping at least one; a head is one input of a Concatenate computing softmax(q·kᵀ)·v from Dense projections (the bert builtin\'s blocks).' },
    ffn: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'structured: fraction of feed-forward neurons removed (the units of a Dense read only by a Dense whose output joins an Add: bert\'s block<b>_ffn_inner); `sparsity` then applies to the other selected layers.' },
    steps: { type: 'integer', minimum: 1, maximum: 1000, description: 'structured with a polynomial schedule: removals, with the schedule\'s epochs of training spread between them and after the last, the fraction removed so far following the polynomial (default: one per epoch).' },
    schedule: {
      type: 'object',
      description: 'oneShot prunes at once; polynomial trains while raising sparsity (Zhu & Gupta); structured: in `steps` removals with training in between.',
      properties: {
        kind: { enum: ['oneShot', 'polynomial'], description: 'Schedule kind.' },
        epochs: { type: 'integer', minimum: 1, maximum: 10000, default: 2, description: 'Training epochs over which sparsity rises (polynomial; default 2).' },
        power: { type: 'number', minimum: 1, maximum: 10, default: 3, description: 'Exponent of the polynomial (default 3).' },
        initialSparsity: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: 'Sparsity at the first step (default 0).' },
        updateEvery: { type: 'integer', minimum: 1, description: 'Steps between mask updates (default: a tenth of an epoch).' },
      },
      required: ['kind'],
      additionalProperties: false,
      default: { kind: 'oneShot' },
    },
    include: selectorList('prune'),
    exclude: selectorList('leave dense'),
    ...rest,
  },
  selectors: [['include'], ['exclude']],
  references: (p) => targetReferences(p.sparsity),
  graphModels: (p) => (p.method === 'structured' || p.method === 'layers' ? `method ${p.method} rebuilds the model`
    : p.schedule.kind !== 'oneShot' ? `schedule ${p.schedule.kind} trains while pruning (use kind oneShot)` : true),
  check(p, { model, earlier }) {
    if (typeof p.sparsity === 'string') {
      const fromStage = stageTargetProblems(p.sparsity, earlier, 'sparsity');
      return p.method === 'magnitude' ? fromStage : [...fromStage, { path: ['sparsity'], message: `method ${p.method} does not take per-layer sparsities: "${p.sparsity}" applies to method magnitude`, hint: 'give one number' }];
    }
    if (p.method === 'layers') return [...removalProblems(p, model), ...layersOnly(p)];
    if (p.drop !== undefined) return [{ path: ['drop'], key: true, message: '"drop" applies only to method layers' }];
    if (p.method !== 'nm') {
      const attention = p.method === 'structured' && (p.heads !== undefined || p.ffn !== undefined);
      const problems: StageCheckProblem[] = p.sparsity === undefined
        ? (attention ? [] : [{ path: [], message: `prune with method ${p.method} needs "sparsity"`, hint: p.method === 'structured' ? 'e.g. sparsity: 0.5, or heads: 0.5 and ffn: 0.5 for a transformer' : 'e.g. sparsity: 0.5' }])
        : targetKeyProblems(p.sparsity, model.layers, 'sparsity');
      if (attention) problems.push(...headProblems(p, model));
      if (p.method === 'structured' && p.schedule.kind === 'polynomial' && p.schedule.updateEvery !== undefined) {
        problems.push({ path: ['schedule', 'updateEvery'], key: true, message: 'method structured removes channels in `steps`, not every `updateEvery` steps', hint: 'drop updateEvery; set steps' });
      }
      if (p.method === 'structured' && p.steps !== undefined && p.schedule.kind === 'oneShot') {
        problems.push({ path: ['steps'], key: true, message: '"steps" needs schedule kind polynomial: its epochs are the training between the steps', hint: 'e.g. schedule: { kind: polynomial, epochs: 3 }, steps: 3' });
      }
      if (p.method === 'structured' && typeof p.sparsity === 'object') {
        problems.push({ path: ['sparsity'], message: 'method structured removes one fraction of every group of coupled channels: a per-layer sparsity map does not apply', hint: 'give one number, and cap groups with maxSparsity (scope: global)' });
      }
      if (p.method === 'structured') problems.push(...unknownLayerNotes(model));
      else problems.push(...structuredOnly(p));
      return problems;
    }
    const problems: StageCheckProblem[] = structuredOnly(p);
    const { n, m } = nmOf(p);
    if (n >= m) problems.push({ path: [p.n === undefined ? 'm' : 'n'], message: `n (${n}) must be smaller than m (${m})` });
    const implied = 1 - n / m;
    if (typeof p.sparsity === 'object') problems.push({ path: ['sparsity'], message: 'method nm keeps n of every m weights in every layer: a per-layer sparsity map does not apply', hint: 'drop `sparsity`' });
    else if (p.sparsity !== undefined && Math.abs(p.sparsity - implied) > 1e-9) {
      problems.push({ path: ['sparsity'], message: `method nm keeps ${n} of every ${m} weights: sparsity is ${implied}, not ${p.sparsity}`, hint: 'drop `sparsity`, or change n/m' });
    }
    if (p.schedule.kind !== 'oneShot') {
      problems.push({ path: ['schedule', 'kind'], message: 'method nm prunes at once: use schedule kind oneShot', hint: 'follow it with a finetune stage to recover accuracy' });
    }
    return problems;
  },
  async run(ctx): Promise<StageResult> {
    const p = { ...ctx.params, sparsity: ctx.params.sparsity === undefined ? undefined : resolveLayerTarget(ctx, ctx.params.sparsity) };
    const { model } = ctx.input;
    if (p.method === 'structured') return pruneStructured(ctx, p);
    if (p.method === 'layers') return pruneLayers(ctx);
    const selected = prunableSelection(model, p.include, p.exclude);
    if (selected.length === 0) throw new UsageError('the selected layers have no prunable weights (kernels of rank ≥ 2)', { hint: 'select layers with kernels (Dense, Conv2D, Embedding), e.g. include: ["type:Dense"]' });
    const masks = new Map(ctx.input.masks);
    if (p.method === 'nm') {
      for (const w of selected) {
        const outputs = w.variable.shape[w.variable.shape.length - 1]!;
        const { n, m } = nmOf(p);
        masks.set(w.key, combineMasks(ctx.input.masks.get(w.key), nmMask(readWeight(w), outputs, n, m)));
      }
      applyMasks(model, masks);
      return { state: ctx.weightsChanged(ctx.input, { masks }), metrics: adaptAfterStage(model, ctx.data, p) };
    }
    // A resumed gradual prune shows the sparsity it had reached until its next mask update.
    const { pruneTo, current } = magnitudePruner(selected, p, ctx.input.masks, masks, model, ctx.resume?.extra.sparsity ?? 0);
    let history: Array<Record<string, number>> = [];
    if (p.schedule.kind === 'polynomial') {
      const s = p.schedule;
      const steps = Math.ceil(ctx.data.train.count / p.batchSize);
      const every = s.updateEvery ?? Math.max(1, Math.floor(steps / 10));
      history = await trainWith({ ...ctx, params: { ...p, epochs: s.epochs } }, {
        beforeStep: (step, total) => {
          if (step % every === 0) pruneTo((target) => polynomialSparsity(step / total, s.initialSparsity, target, s.power));
        },
        keepMasks: true,
        masks,
        extra: () => ({ sparsity: current() }),
      });
    }
    pruneTo((target) => target);
    const adapted = adaptAfterStage(model, ctx.data, p);
    return { state: ctx.weightsChanged(ctx.input, { masks }), metrics: { ...trainingMetrics(history), ...adapted }, history };
  },
};

/**
 * Magnitude pruning of the selection to `at(target)`: one group at the number, or with a per-layer
 * map each weight at its layer's own target (scope layer). `current()` is the mean sparsity last
 * aimed at, weighted by size (`initial` before the first prune).
 */
function magnitudePruner(selected: Array<KeyedWeight<AnyOwner>>, p: PruneParams & { sparsity?: LayerTarget }, earlier: Map<string, Float32Array>, masks: Map<string, Float32Array>, model: CondenseModel, initial: number) {
  const groups = groupByTarget(selected, p.sparsity!, (w) => ({ name: w.layer.name, className: w.layer.getClassName() }));
  const scope = typeof p.sparsity === 'number' ? p.scope : 'layer';
  let current = initial;
  const pruneTo = (at: (target: number) => number) => {
    let zeros = 0;
    let total = 0;
    for (const group of groups) {
      const sparsity = at(group.target);
      const weights = group.items.map((w) => ({ key: w.key, values: readWeight(w) }));
      for (const [key, mask] of magnitudeMasks(weights, sparsity, scope)) masks.set(key, combineMasks(earlier.get(key), mask));
      const n = weights.reduce((sum, w) => sum + w.values.length, 0);
      zeros += sparsity * n;
      total += n;
      current = groups.length === 1 ? sparsity : zeros / total;
    }
    applyMasks(model, masks);
  };
  return { pruneTo, current: () => current };
}

/**
 * Layers of the model the dependency graph does not know (a plugin's layer class), as non-fatal
 * notes: their coupled channels stay whole. Known only once the model is built or loaded.
 */
function unknownLayerNotes(model: ModelView): StageCheckProblem[] {
  return (model.layers ?? []).flatMap((layer) => {
    const why = unknownClassReason(layer);
    return why ? [{ path: ['method'], message: why, severity: 'warning' as const }] : [];
  });
}

/** `heads`/`ffn` on a model without attention heads or feed-forward blocks (known once its connections are). */
function headProblems(p: PruneParams, model: ModelView): StageCheckProblem[] {
  // A feed-forward layer is read only by a Dense: its neurons never pass a BatchNormalization either.
  const unranked = [p.heads !== undefined ? 'attention heads' : undefined, p.ffn !== undefined ? 'feed-forward neurons' : undefined].filter((w) => w !== undefined);
  const problems: StageCheckProblem[] = unranked.length && p.importance === 'bnScale'
    ? [{ path: ['importance'], message: `importance bnScale ranks channels by their BatchNormalization: ${unranked.join(' and ')} have none`, hint: 'use l1, l2 or taylor' }] : [];
  const layers = model.layers;
  if (!layers?.every((l) => l.inbound)) return problems;
  const connected = layers.map((l) => ({ name: l.name, className: l.className, inbound: l.inbound! }));
  return [...problems, ...attentionProblems(p, connected).map((a) => ({ path: [a.field], message: a.message, hint: 'heads and ffn apply to transformers such as the bert builtin; use sparsity for other models' }))];
}

/** The fields only structured pruning reads, given to another method. */
function structuredOnly(p: PruneParams): StageCheckProblem[] {
  return (['importance', 'maxSparsity', 'roundTo', 'steps', 'heads', 'ffn'] as const).filter((f) => p[f] !== undefined)
    .map((f) => ({ path: [f], key: true, message: `"${f}" applies only to method structured` }));
}

/** The fields method layers does not read. */
function layersOnly(p: PruneParams): StageCheckProblem[] {
  const given = (['sparsity', 'importance', 'maxSparsity', 'roundTo', 'heads', 'ffn'] as const).filter((f) => p[f] !== undefined);
  const schedule = p.schedule.kind !== 'oneShot' ? [{ path: ['schedule', 'kind'], message: 'method layers removes at once: use schedule kind oneShot' }] : [];
  return [...given.map((f) => ({ path: [f], key: true, message: `"${f}" does not apply to method layers` })), ...schedule];
}

/** N:M of an nm stage, 2:4 unless given. */
function nmOf(p: PruneParams): { n: number; m: number } {
  return { n: p.n ?? 2, m: p.m ?? 4 };
}
