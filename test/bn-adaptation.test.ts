// BatchNormalization kept honest (issue 13, item 6): a residual CNN with BN at TF.js's default
// momentum, trained briefly, structured-pruned and fine-tuned, predicts near chance in inference
// mode while it trains well; re-estimating the moving statistics brings held-out accuracy back.
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/index.js';
import { accuracyAndLoss } from '../src/model/inspect.js';
import { finetuneStage } from '../src/stages/finetune/finetune.js';
import { pruneStage } from '../src/stages/prune/prune.js';
import { trainStage } from '../src/stages/train/train.js';
import { CONSTANT_LR, freshTestState, runTestStage, testPruneParams } from '../src/stages/testing.js';
import { requireSystemDep, useTestBackend } from './helpers.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

beforeAll(async () => {
  await useTestBackend();
});

/** Conv → BN → ReLU, two depthwise-separable residual blocks with BN (default momentum 0.99), pooled softmax. */
function residualCnn(seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: [28, 28, 1] });
  let x = apply(tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(0) }), input);
  x = apply(tf.layers.reLU({}), apply(tf.layers.batchNormalization({}), x));
  for (let b = 1; b <= 2; b++) {
    let y = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: init(10 * b) }), x);
    y = apply(tf.layers.reLU({}), apply(tf.layers.batchNormalization({}), y));
    y = apply(tf.layers.conv2d({ filters: 16, kernelSize: 1, useBias: false, kernelInitializer: init(10 * b + 1) }), y);
    x = apply(tf.layers.add({}), [x, apply(tf.layers.batchNormalization({}), y)]);
  }
  const out = apply(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(99) }), apply(tf.layers.globalAveragePooling2d({}), x));
  return tf.model({ inputs: input, outputs: out });
}

describe('BatchNormalization adaptation after structured pruning and a short fine-tune', () => {
  it('held-out accuracy goes from near chance to near the training accuracy; the finetune stage records that it ran', async (ctx) => {
    requireSystemDep(ctx, 'dataset-fashion-mnist', existsSync(FASHION), `apt-get install dataset-fashion-mnist (${FASHION})`);
    const data = loadDataset({ dataset: 'idx', images: `${FASHION}/train-images-idx3-ubyte.gz`, labels: `${FASHION}/train-labels-idx1-ubyte.gz`, limit: 3000, testFraction: 0.2 }, 1, '/');
    const off = { bnAdaptation: { batches: 0 } };
    const training = { epochs: 1, batchSize: 32, optimizer: { name: 'adam' as const, learningRate: 0.01 }, lrSchedule: CONSTANT_LR, ...off };
    const trained = await runTestStage(trainStage, training, freshTestState(residualCnn(1)), data);
    const pruned = await runTestStage(pruneStage, testPruneParams({ method: 'structured', sparsity: 0.4, scope: 'layer', ...off }), trained.state, data);
    const tuned = await runTestStage(finetuneStage, training, pruned.state, data);
    expect(tuned.metrics.bnAdaptedLayers).toBeUndefined();
    const without = accuracyAndLoss(tuned.state.model, data.test, data).accuracy!;
    const trainAccuracy = tuned.metrics.trainAccuracy!;
    // epochs 0: the stage only adapts.
    const adapted = await runTestStage(finetuneStage, { ...training, epochs: 0, bnAdaptation: undefined }, tuned.state, data);
    expect(adapted.metrics).toMatchObject({ bnAdaptedLayers: 5, bnAdaptationExamples: 16 * 32 });
    const withAdaptation = accuracyAndLoss(adapted.state.model, data.test, data).accuracy!;
    expect(without).toBeLessThan(trainAccuracy - 0.2);
    expect(withAdaptation).toBeGreaterThan(without + 0.2);
    expect(withAdaptation).toBeGreaterThan(trainAccuracy - 0.1);
  }, 300_000);
});
