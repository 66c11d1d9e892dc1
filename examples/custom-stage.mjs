// A custom stage, registered beside the built-in ones: held-out accuracy under Gaussian pixel
// noise, a cheap robustness check to put after quantization.
// Run: node examples/custom-stage.mjs [RUN_DIR]   (after `npm install`)
import * as tf from '@tensorflow/tfjs';
import { builtinStages, defineStage, loadRecipe, runRecipe } from 'condense';

/** @type {import('condense').StageDefinition<{ sigma: number; seed: number }>} */
export const noiseAccuracyStage = defineStage({
  type: 'noise-accuracy',
  description: 'Measures held-out accuracy with Gaussian noise added to the inputs.',
  properties: {
    sigma: { type: 'number', minimum: 0, default: 0.1, description: 'Noise standard deviation, in input units (default 0.1).' },
  },
  // It only measures: the runner keeps the previous stage's size and accuracy metrics.
  changesModel: false,
  async run(ctx) {
    const { test, featureSize } = ctx.data;
    const noisyAccuracy = tf.tidy(() => {
      const xs = tf.tensor2d(test.x, [test.count, featureSize]);
      const noisy = tf.clipByValue(tf.add(xs, tf.randomNormal(xs.shape, 0, ctx.params.sigma, 'float32', ctx.seed)), 0, 1);
      const predicted = tf.argMax(ctx.input.model.predict(noisy), -1);
      return tf.mean(tf.cast(tf.equal(predicted, tf.tensor1d(test.y, 'int32')), 'float32')).dataSync()[0];
    });
    return { state: ctx.input, metrics: { noisyAccuracy } };
  },
});

const registry = builtinStages().register(noiseAccuracyStage);
const loaded = loadRecipe(new URL('./noise.yaml', import.meta.url).pathname, { registry });
const { report, exitCode } = await runRecipe(loaded, {
  registry,
  out: process.argv[2] ?? 'runs/noise-example',
  onEvent: (e) => e.event === 'stage-end' && console.log(`${e.name}: ${e.status}`),
});
const last = report.stages.at(-1).metrics;
console.log(`accuracy ${last.accuracy.toFixed(4)}, with noise σ=${loaded.recipe.stages.at(-1).sigma}: ${last.noisyAccuracy.toFixed(4)}`);
process.exitCode = exitCode;
