import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyMnist, useTestBackend } from '../../../test/helpers.js';
import type { Dataset } from '../../data/types.js';
import { loadModelFromFiles, modelFiles } from '../../model/io.js';
import { CONSTANT_LR, freshTestState, mlpTestState, runTestStage, TEST_ADAM } from '../testing.js';
import { trainStage } from '../train/train.js';
import { distillStage } from './distill.js';

let data: Dataset;
beforeAll(async () => {
  await useTestBackend();
  data = tinyMnist(800);
});

describe('distill', () => {
  it('moves the student toward the teacher', async () => {
    const teacher = (await runTestStage(trainStage, { epochs: 3, batchSize: 32, optimizer: TEST_ADAM, lrSchedule: CONSTANT_LR }, mlpTestState(1, [32]), data)).state.model;
    const disagreement = (student: tf.LayersModel) => tf.tidy(() => {
      const xs = tf.tensor2d(data.test.x, [data.test.count, 784]);
      const pt = teacher.predict(xs) as tf.Tensor;
      const ps = student.predict(xs) as tf.Tensor;
      return tf.mean(tf.sum(tf.mul(pt, tf.sub(tf.log(tf.add(pt, 1e-7)), tf.log(tf.add(ps, 1e-7)))), -1)).dataSync()[0]!;
    });
    const student = mlpTestState(9, [8]);
    const klBefore = disagreement(student.model);
    const { state } = await runTestStage(distillStage, {
      teacher: 'stage:teacher', temperature: 4, alpha: 1, epochs: 2, batchSize: 32, optimizer: TEST_ADAM, lrSchedule: CONSTANT_LR,
    }, student, data, { loadStageModel: async () => freshTestState(await loadModelFromFiles(await modelFiles(teacher))) });
    expect(disagreement(state.model)).toBeLessThan(klBefore * 0.6);
  });
});
