// Test helpers for stage tests (not built into dist/): a stage run through a hand-made context,
// without the runner, the disk or a recipe.
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types.js';
import { buildBuiltinModel } from '../model/builtin.js';
import { layersModelOf } from '../model/kind.js';
import { BUILTIN_STATE_CODECS, freshState, trainingConstraints, weightsChanged } from '../state/codecs.js';
import { builtinStages } from './builtin.js';
import type { PruneParams } from './prune/prune.js';
import type { ModelState, StageContext, StageDefinition, StageProgress, StageResult } from './types.js';

/** Adam at 0.01, the optimizer stage tests train with. */
export const TEST_ADAM = { name: 'adam' as const, learningRate: 0.01 };
/** A constant learning rate. */
export const CONSTANT_LR = { kind: 'constant' as const };

/** A model state whose model is a LayersModel, as every state in these tests is. */
export type LayersState = ModelState & { model: tf.LayersModel };

/** A state for `model` as the runner makes one: every built-in kind of state empty. */
export function freshTestState(model: tf.LayersModel): LayersState {
  return freshState(model, BUILTIN_STATE_CODECS) as LayersState;
}

/** A fresh state of a builtin MLP for 784 inputs and 10 classes (hidden sizes `hidden`, default [16]). */
export function mlpTestState(seed = 1, hidden = [16]): LayersState {
  return freshTestState(buildBuiltinModel({ builtin: 'mlp', hidden }, [784], 10, seed));
}

/**
 * A stage context with `params`, `input` and `data`, seed 3, and no earlier stages or model
 * paths (loading one throws). Progress updates are collected in `events`; `extra` overrides any field.
 */
export function testStageContext<P>(params: P, input: ModelState, data: Dataset, extra: Partial<StageContext<P>> = {}): StageContext<P> & { events: StageProgress[] } {
  const events: StageProgress[] = [];
  return {
    name: 'test', params, seed: 3, recipe: {} as never, input, data,
    loadStageModel: async () => { throw new Error('no stages'); },
    outputsOf: () => ({}),
    freshState: freshTestState,
    weightsChanged: (state, changes) => weightsChanged(state, builtinStages().stateCodecs(), changes),
    trainingConstraints: (state) => trainingConstraints(state, builtinStages().stateCodecs()),
    loadModelPath: async () => { throw new Error('no paths'); },
    progress: (p) => events.push(p),
    saveSnapshot: async () => {},
    signal: new AbortController().signal,
    events,
    ...extra,
  };
}

/**
 * Runs `stage` through {@link testStageContext}; its result with the progress events. The stages
 * tested here take and hand on LayersModels (the model's kind is checked).
 */
export async function runTestStage<P>(stage: StageDefinition<P>, params: P, input: ModelState, data: Dataset, extra: Partial<StageContext<P>> = {}): Promise<StageResult & { state: LayersState; events: StageProgress[] }> {
  const ctx = testStageContext(params, input, data, extra);
  const result = await stage.run(ctx);
  layersModelOf(result.state.model, 'test');
  return { ...result, state: result.state as LayersState, events: ctx.events };
}

/** Prune parameters: one-shot global magnitude pruning to 0.8, with `over` applied. */
export function testPruneParams(over: Partial<PruneParams> = {}): PruneParams {
  return {
    method: 'magnitude', sparsity: 0.8, scope: 'global', schedule: { kind: 'oneShot' }, include: [], exclude: [],
    n: 2, m: 4, batchSize: 64, optimizer: TEST_ADAM, lrSchedule: CONSTANT_LR, ...over,
  };
}
