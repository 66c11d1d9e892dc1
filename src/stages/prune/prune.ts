import type { CondenseModel } from '../../model/kind.js';
import { UsageError } from '../../errors.js';
import { combineMasks, magnitudeMasks, nmMask } from '../../compress/masks.js';
import { unknownClassReason } from '../../compress/depgraph/rules.js';
import { pruneStructured } from './structured.js';
import { polynomialSparsity } from '../../compress/schedule.js';
import { applyMasks, prunableWeights, readWeight, selectLayers } from '../../model/weights.js';
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
  version: 3,
  description: 'Zeroes the smallest-magnitude weights of the selected layers (at once or gradually while training), or all but n of every m; or removes whole coupled channels (structured).',
  properties: {
    method: { enum: ['magnitude', 'nm', 'structured'], default: 'magnitude', description: 'magnitude: zero the smallest |w| to `sparsity`; nm: keep the n largest |w| of every m consecutive weights (N:M, e.g. 2:4); structured: remove the `sparsity` fraction of the least important channels (units, filters, with every layer coupled to them) of any Sequential or functional model, making it smaller.' },
    sparsity: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'Target fraction of selected weights that are zero (magnitude; nm implies 1 − n/m).' },
    // No schema defaults for n and m: they would enter every magnitude stage's fingerprint.
    n: { type: 'integer', minimum: 1, maximum: 64, description: 'Weights kept per group (nm; default 2).' },
    m: { type: 'integer', minimum: 2, maximum: 64, description: 'Group size along the reduction axis (nm; default 4).' },
    scope: { enum: ['global', 'layer'], default: 'global', description: 'One threshold across the selection (global) or per layer (structured: per group of coupled channels).' },
    // No schema defaults for the structured-only fields: they would enter every magnitude stage's fingerprint.
    importance: { enum: ['l1', 'l2', 'bnScale', 'taylor'], description: 'structured: how channels are ranked: L1 or L2 norm of the kernels producing them, |γ| of their BatchNormalization, or taylor: |w·∂L/∂w| of those kernels over the first 4 training batches of `batchSize` (default l2).' },
    maxSparsity: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'structured with scope global: the largest fraction any one group may lose (default 0.9).' },
    roundTo: { type: 'integer', minimum: 1, maximum: 1024, description: 'structured: every group keeps a multiple of this many channels (default 1).' },
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
  graphModels: (p) => (p.method === 'structured' ? 'method structured rebuilds the model'
    : p.schedule.kind !== 'oneShot' ? `schedule ${p.schedule.kind} trains while pruning (use kind oneShot)` : true),
  check(p, { model }) {
    if (p.method !== 'nm') {
      const problems: StageCheckProblem[] = p.sparsity === undefined ? [{ path: [], message: `prune with method ${p.method} needs "sparsity"`, hint: 'e.g. sparsity: 0.5' }] : [];
      if (p.method === 'structured' && p.schedule.kind === 'polynomial' && p.schedule.updateEvery !== undefined) {
        problems.push({ path: ['schedule', 'updateEvery'], key: true, message: 'method structured removes channels in `steps`, not every `updateEvery` steps', hint: 'drop updateEvery; set steps' });
      }
      if (p.method === 'structured' && p.steps !== undefined && p.schedule.kind === 'oneShot') {
        problems.push({ path: ['steps'], key: true, message: '"steps" needs schedule kind polynomial: its epochs are the training between the steps', hint: 'e.g. schedule: { kind: polynomial, epochs: 3 }, steps: 3' });
      }
      if (p.method === 'structured') problems.push(...unknownLayerNotes(model));
      else problems.push(...structuredOnly(p));
      return problems;
    }
    const problems: StageCheckProblem[] = structuredOnly(p);
    const { n, m } = nmOf(p);
    if (n >= m) problems.push({ path: [p.n === undefined ? 'm' : 'n'], message: `n (${n}) must be smaller than m (${m})` });
    const implied = 1 - n / m;
    if (p.sparsity !== undefined && Math.abs(p.sparsity - implied) > 1e-9) {
      problems.push({ path: ['sparsity'], message: `method nm keeps ${n} of every ${m} weights: sparsity is ${implied}, not ${p.sparsity}`, hint: 'drop `sparsity`, or change n/m' });
    }
    if (p.schedule.kind !== 'oneShot') {
      problems.push({ path: ['schedule', 'kind'], message: 'method nm prunes at once: use schedule kind oneShot', hint: 'follow it with a finetune stage to recover accuracy' });
    }
    return problems;
  },
  async run(ctx): Promise<StageResult> {
    const p = ctx.params;
    const { model } = ctx.input;
    if (p.method === 'structured') return pruneStructured(ctx, p);
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
    const sparsity = p.sparsity!;
    let current = ctx.resume?.extra.sparsity ?? 0;
    const pruneTo = (sparsity: number) => {
      current = sparsity;
      const fresh = magnitudeMasks(selected.map((w) => ({ key: w.key, values: readWeight(w) })), sparsity, p.scope);
      for (const [key, mask] of fresh) masks.set(key, combineMasks(ctx.input.masks.get(key), mask));
      applyMasks(model, masks);
    };
    let history: Array<Record<string, number>> = [];
    if (p.schedule.kind === 'polynomial') {
      const s = p.schedule;
      const steps = Math.ceil(ctx.data.train.count / p.batchSize);
      const every = s.updateEvery ?? Math.max(1, Math.floor(steps / 10));
      history = await trainWith({ ...ctx, params: { ...p, epochs: s.epochs } }, {
        beforeStep: (step, total) => {
          if (step % every === 0) pruneTo(polynomialSparsity(step / total, s.initialSparsity, sparsity, s.power));
        },
        afterStep: () => applyMasks(model, masks),
        masks,
        extra: () => ({ sparsity: current }),
      });
    }
    pruneTo(sparsity);
    const adapted = adaptAfterStage(model, ctx.data, p);
    return { state: ctx.weightsChanged(ctx.input, { masks }), metrics: { ...trainingMetrics(history), ...adapted }, history };
  },
};

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

/** The fields only structured pruning reads, given to another method. */
function structuredOnly(p: PruneParams): StageCheckProblem[] {
  return (['importance', 'maxSparsity', 'roundTo', 'steps'] as const).filter((f) => p[f] !== undefined)
    .map((f) => ({ path: [f], key: true, message: `"${f}" applies only to method structured` }));
}

/** N:M of an nm stage, 2:4 unless given. */
function nmOf(p: PruneParams): { n: number; m: number } {
  return { n: p.n ?? 2, m: p.m ?? 4 };
}
