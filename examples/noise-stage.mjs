// A plugin: one custom stage type, held-out accuracy under Gaussian pixel noise, a cheap robustness
// check to put after quantization. A recipe loads it with `plugins: [./noise-stage.mjs]`
// (examples/noise.yaml); examples/custom-stage.mjs registers it from a program. See docs/plugins.md.
import * as tf from '@tensorflow/tfjs';
import { defineStage, definePlugin, featureRows } from 'condense';

/** @type {import('condense').StageDefinition<{ sigma: number }>} */
export const noiseAccuracyStage = defineStage({
  type: 'noise-accuracy',
  version: 1,
  description: 'Measures held-out accuracy with Gaussian noise added to the inputs.',
  properties: {
    sigma: { type: 'number', minimum: 0, default: 0.1, description: 'Noise standard deviation, in input units (default 0.1).' },
  },
  // It only measures: the runner keeps the previous stage's size and accuracy metrics.
  changesModel: false,
  async run(ctx) {
    const { test, featureSize, inputShape } = ctx.data;
    const noisyAccuracy = tf.tidy(() => {
      // featureRows: the split's features as float32 in [0, 1] (images are stored as bytes)
      const xs = tf.tensor(featureRows(test, featureSize), [test.count, ...inputShape]);
      const noisy = tf.clipByValue(tf.add(xs, tf.randomNormal(xs.shape, 0, ctx.params.sigma, 'float32', ctx.seed)), 0, 1);
      const predicted = tf.argMax(ctx.input.model.predict(noisy), -1);
      return tf.mean(tf.cast(tf.equal(predicted, tf.tensor1d(test.y, 'int32')), 'float32')).dataSync()[0];
    });
    return { state: ctx.input, metrics: { noisyAccuracy } };
  },
});

export default definePlugin({ stages: [noiseAccuracyStage] });
