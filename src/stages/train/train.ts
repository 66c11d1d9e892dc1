import { fit } from '../../model/fit.js';
import { deriveSeed } from '../../util/prng.js';
import { layersModelOf } from '../../model/kind.js';
import type { FitOptions } from '../../model/fit.js';
import type { OutputOptions } from '../../model/outputs.js';
import type { StageParams, TrainStage } from '../../recipe/types.js';
import { stateParts } from '../../state/codecs.js';
import { JitteredSplit, imageShapeOf } from '../../data/augment.js';
import { UsageError } from '../../errors.js';
import { adaptAfterStage, bnAdaptationProperty } from './bn-adaptation.js';
import type { JsonSchema, ModelState, StageCheckContext, StageCheckProblem, StageContext, StageDefinition, StageResult, StateParts } from '../types.js';

/**
 * Fields every training stage takes (train, finetune, prune with a gradual schedule, distill):
 * those of a `train` stage, generated from the schema.
 */
export type TrainingParams = StageParams<TrainStage>;

/** Schema of {@link TrainingParams}, shared by the training stages. */
export const trainingProperties: Record<string, JsonSchema> = {
  epochs: { type: 'integer', minimum: 0, maximum: 10000, default: 1, description: 'Passes over the training split (default 1).' },
  batchSize: { type: 'integer', minimum: 1, maximum: 1048576, default: 128, description: 'Examples per optimizer step (default 128).' },
  optimizer: {
    type: 'object',
    description: 'Optimizer (default adam, learningRate 0.001).',
    properties: {
      name: { enum: ['adam', 'sgd', 'rmsprop', 'momentum'], default: 'adam', description: 'Optimizer name (default adam).' },
      learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 10, default: 0.001, description: 'Step size (default 0.001).' },
    },
    additionalProperties: false,
    default: { name: 'adam', learningRate: 0.001 },
  },
  lrSchedule: {
    type: 'object',
    description: 'Learning rate per epoch from the optimizer\'s: constant (default), step, exponential or cosine.',
    properties: {
      kind: { enum: ['constant', 'step', 'exponential', 'cosine'], description: 'Schedule kind.' },
      decay: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'Factor per decay: step (default 0.1 every `every` epochs), exponential (default 0.9 per epoch).' },
      every: { type: 'integer', minimum: 1, description: 'Epochs between step decays (default 1).' },
      minLearningRate: { type: 'number', minimum: 0, description: 'Floor of the cosine schedule (default 0).' },
    },
    required: ['kind'],
    additionalProperties: false,
    // No default object: an absent schedule is constant, and stays out of the stage fingerprint.
  },
  earlyStopping: {
    type: 'object',
    description: 'Stop when the mean training loss of an epoch has not improved for `patience` epochs (the held-out split stays unseen).',
    properties: {
      patience: { type: 'integer', minimum: 1, default: 2, description: 'Epochs without improvement before stopping (default 2).' },
      minDelta: { type: 'number', minimum: 0, default: 0, description: 'Smallest loss decrease that counts as an improvement (default 0).' },
    },
    additionalProperties: false,
  },
  bnAdaptation: bnAdaptationProperty,
  augment: {
    type: 'object',
    description: 'Data augmentation of image training examples, drawn anew each epoch from the recipe seed (the held-out split is never changed).',
    properties: {
      shift: {
        type: 'integer', minimum: 0, maximum: 64,
        description: 'Largest random translation in pixels along each axis (integer offsets, uniform in [-shift, shift], zero fill); 0: none.',
      },
    },
    required: ['shift'],
    additionalProperties: false,
  },
};

/**
 * `augment` on data that are known not to be images (a text dataset, by its vocabulary fields),
 * found before anything runs; other non-image data are refused when the stage starts.
 */
export function augmentProblems(p: Pick<TrainingParams, 'augment'>, { recipe }: StageCheckContext): StageCheckProblem[] {
  if (!p.augment?.shift) return [];
  const data = recipe.data as Record<string, unknown>;
  if (data.vocabSize === undefined && data.maxLength === undefined) return [];
  return [{
    path: ['augment', 'shift'], keyword: 'augment',
    message: `augment.shift moves image pixels, but dataset "${String(data.dataset)}" is text (token ids)`,
    hint: 'remove augment from this stage: it applies to image datasets (mnist, fashion-mnist, images)',
  }];
}

/** The per-epoch jittered training split the stage's `augment` asks for, or undefined without one. */
function jitterFor(ctx: StageContext<TrainingParams>): JitteredSplit | undefined {
  const shift = ctx.params.augment?.shift ?? 0;
  if (shift === 0) return undefined;
  const image = imageShapeOf(ctx.data);
  if (!image) {
    throw new UsageError(`stage "${ctx.name}": augment.shift moves image pixels, but dataset "${ctx.data.name}" has examples of shape [${ctx.data.inputShape.join(', ')}], not images`, {
      hint: 'augment applies to image data: mnist, fashion-mnist, idx files, an images folder, or examples shaped [height, width, channels]',
    });
  }
  return new JitteredSplit(ctx.data.train, image, { shift }, deriveSeed(ctx.seed, `augment:${ctx.name}`));
}

/** How a training stage hooks into the loop. */
export interface TrainHooks {
  afterStep?: () => void;
  /** Rewrites the gradients before each optimizer step (see {@link FitOptions.transformGradients}). */
  transformGradients?: FitOptions['transformGradients'];
  beforeStep?: (step: number, total: number) => void;
  loss?: FitOptions['loss'];
  /** Output options of the model trained (default: those of the stage's input model, `ctx.outputsOf()`). */
  outputs?: OutputOptions;
  /** The live masks the stage maintains: saved with every epoch snapshot, restored on resume. */
  masks?: Map<string, Float32Array>;
  /** Multiply those masks into the weights after every optimizer step, before `afterStep` (pruned weights stay zero). */
  keepMasks?: boolean;
  /** Stage scalars shown with progress and recorded per epoch (e.g. current sparsity). */
  extra?: () => Record<string, number>;
}

/**
 * Runs the training loop on `model` (default: the context's input model) with the stage's
 * fields, reporting progress, snapshotting every epoch and continuing from `ctx.resume`.
 */
export async function trainWith(ctx: StageContext<TrainingParams>, hooks: TrainHooks = {}, model = layersModelOf(ctx.input.model, ctx.name)): Promise<Array<Record<string, number>>> {
  const { epochs, batchSize, optimizer, lrSchedule, earlyStopping } = ctx.params;
  const masks = hooks.masks ?? ctx.input.masks;
  if (ctx.resume) restoreParts(ctx.input, masks, ctx.resume.parts);
  const jitter = jitterFor(ctx);
  const steps = Math.ceil(ctx.data.train.count / batchSize);
  const history = await fit({
    model,
    data: jitter ? { ...ctx.data, train: jitter.split } : ctx.data,
    epochs,
    batchSize,
    optimizer,
    seed: ctx.seed,
    signal: ctx.signal,
    afterStep: hooks.afterStep,
    ...(hooks.keepMasks ? { masks } : {}),
    transformGradients: hooks.transformGradients,
    // The first step of each epoch (a resumed one included) refills the jittered split.
    beforeStep: jitter ? (step, total) => { jitter.prepare(Math.floor(step / steps) + 1); hooks.beforeStep?.(step, total); } : hooks.beforeStep,
    loss: hooks.loss,
    outputs: hooks.outputs ?? ctx.outputsOf(),
    lrSchedule,
    earlyStopping,
    resume: ctx.resume,
    epochExtra: hooks.extra,
    onEpochEnd: (snapshot) => ctx.saveSnapshot({ ...snapshot, parts: { ...stateParts(ctx.input), masks }, extra: hooks.extra?.() ?? {} }),
    onProgress: (p) => ctx.progress({ epochs, ...p, ...hooks.extra?.() }),
  });
  return history.map(({ loss, accuracy, mae, ...rest }) => ({
    ...rest, trainLoss: loss, ...(accuracy !== undefined ? { trainAccuracy: accuracy } : {}), ...(mae !== undefined ? { trainMae: mae } : {}),
  }));
}

/**
 * Puts an epoch checkpoint's state parts back into the live state: the live masks map is refilled
 * in place (the stage's hooks hold it), every other kind replaced.
 */
function restoreParts(state: ModelState, masks: Map<string, Float32Array>, parts: StateParts): void {
  for (const [kind, value] of Object.entries(parts)) {
    if (kind !== 'masks') {
      state[kind] = value;
      continue;
    }
    masks.clear();
    for (const [key, mask] of value as Map<string, Float32Array>) masks.set(key, mask);
  }
}

/** Last epoch's training loss and accuracy (regression: mean absolute error) as metrics. */
export function trainingMetrics(history: Array<Record<string, number>>): Record<string, number> {
  const last = history[history.length - 1];
  if (!last) return {};
  return last.trainMae !== undefined ? { trainLoss: last.trainLoss!, trainMae: last.trainMae } : { trainLoss: last.trainLoss!, trainAccuracy: last.trainAccuracy! };
}

/** `train`: trains every weight of the current model; pruning masks are released. */
export const trainStage: StageDefinition<TrainingParams> = {
  type: 'train',
  // 2: BatchNormalization adaptation after training (bnAdaptation).
  version: 2,
  description: 'Trains the current model (all weights; earlier pruning masks are released).',
  properties: trainingProperties,
  check: augmentProblems,
  async run(ctx): Promise<StageResult> {
    const history = await trainWith(ctx);
    // Trained weights are off any quantization grid and may regrow pruned entries.
    const adapted = adaptAfterStage(ctx.input.model, ctx.data, ctx.params);
    return { state: ctx.weightsChanged(ctx.input, { masks: new Map() }), metrics: { ...trainingMetrics(history), ...adapted }, history };
  },
};
