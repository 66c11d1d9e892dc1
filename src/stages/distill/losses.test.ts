import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers.js';
import { cosineDistance } from '../../compress/distill.js';
import { loadDataset } from '../../data/index.js';
import type { Dataset } from '../../data/types.js';
import { buildBuiltinModel } from '../../model/builtin.js';
import { loadModelFromFiles, modelFiles } from '../../model/io.js';
import { CONSTANT_LR, freshTestState, runTestStage } from '../testing.js';
import { trainStage } from '../train/train.js';
import { distillStage } from './distill.js';
import type { DistillParams } from './distill.js';
import { uniformMatches } from './pairs.js';

const ADAM = { name: 'adam' as const, learningRate: 0.005 };
const BERT = { builtin: 'bert' as const, positions: 'learned' as const };
let data: Dataset;
let teacher: tf.LayersModel;

beforeAll(async () => {
  await useTestBackend();
  data = loadDataset({ dataset: 'cmudict-stress', testFraction: 0.25, limit: 800, maxLength: 8 }, 11, '.');
  const spec = { ...BERT, dim: 16, layers: 2, heads: 2 };
  const initial = freshTestState(buildBuiltinModel(spec, data.inputShape, data.numClasses, 4, data.vocabSize));
  teacher = (await runTestStage(trainStage, { epochs: 3, batchSize: 50, optimizer: ADAM, lrSchedule: CONSTANT_LR }, initial, data)).state.model;
});

/** Distills a fresh 1-block bert student (width `dim`) from `from` with `extra` fields; the student and the stage metrics. */
async function distill(extra: Partial<DistillParams>, dim = 16, from = teacher) {
  const params = {
    teacher: 'stage:teacher', student: { ...BERT, dim, layers: 1, heads: 2 }, temperature: 2, alpha: 1,
    epochs: 2, batchSize: 100, optimizer: ADAM, lrSchedule: CONSTANT_LR, ...extra,
  } as DistillParams;
  const copy = async () => freshTestState(await loadModelFromFiles(await modelFiles(from)));
  const result = await runTestStage(distillStage, params, freshTestState(buildBuiltinModel({ builtin: 'mlp' }, [8], 6, 1)), data, { loadStageModel: copy });
  return { student: result.state.model, metrics: result.metrics };
}

/** Held-out outputs of a layer. */
function heldOut(model: tf.LayersModel, layer: string): tf.Tensor {
  const tapped = tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tf.SymbolicTensor });
  return tapped.predict(tf.tensor2d(data.test.x as Float32Array, [data.test.count, 8])) as tf.Tensor;
}
const mse = (a: tf.Tensor, b: tf.Tensor) => tf.mean(tf.squaredDifference(a, b)).dataSync()[0]!;
const cosine = (a: tf.Tensor, b: tf.Tensor) => cosineDistance(a, b).dataSync()[0]!;

describe('distill losses pull the student toward the teacher on their quantity (held-out, vs logits only)', () => {
  it('attention: MSE between attention probabilities drops', async () => {
    const { student: plain } = await distill({});
    const { student: matched } = await distill({ attention: [
      { teacher: 'block2_head1_attention', student: 'block1_head1_attention', weight: 10 },
      { teacher: 'block2_head2_attention', student: 'block1_head2_attention', weight: 10 },
    ] });
    const target = heldOut(teacher, 'block2_head1_attention');
    const [before, after] = [mse(heldOut(plain, 'block1_head1_attention'), target), mse(heldOut(matched, 'block1_head1_attention'), target)];
    expect(after).toBeLessThan(before * 0.7);
  });

  it('hidden (mse and cosine): the block output moves toward the teacher\'s by its distance', async () => {
    const target = heldOut(teacher, 'block2_ffn_norm');
    const { student: plain } = await distill({});
    const pair = { teacher: 'block2_ffn_norm', student: 'block1_ffn_norm', weight: 5, loss: 'mse' as const };
    const { student: byMse } = await distill({ hidden: [pair] });
    const { student: byCosine } = await distill({ hidden: [{ ...pair, loss: 'cosine' as const }] });
    const ofStudent = (m: tf.LayersModel) => heldOut(m, 'block1_ffn_norm');
    expect(mse(ofStudent(byMse), target)).toBeLessThan(mse(ofStudent(plain), target) * 0.7);
    expect(cosine(ofStudent(byCosine), target)).toBeLessThan(cosine(ofStudent(plain), target) * 0.7);
  });

  it('mapping: uniform pairs a narrower student\'s block with the teacher\'s last, and its attention heads drop toward the teacher\'s', async () => {
    const { student: plain } = await distill({ epochs: 3 }, 8);
    const { student: mapped } = await distill({ mapping: { layers: 'uniform', attention: 30, hidden: 0.1, embeddings: 0.1 }, epochs: 3 }, 8);
    const target = heldOut(teacher, 'block2_head2_attention');
    expect(mse(heldOut(mapped, 'block1_head2_attention'), target)).toBeLessThan(mse(heldOut(plain, 'block1_head2_attention'), target) * 0.8);
    expect(mapped.layers.some((l) => l.name.startsWith('hidden_projection'))).toBe(false);
  });
});

describe('uniform mapping', () => {
  it('pairs student block i with teacher block i·k and groups heads', () => {
    const matches = uniformMatches('uniform', { blocks: 6, heads: 4 }, { blocks: 3, heads: 2 });
    expect(matches.filter((m) => m.project).map((m) => `${m.student}←${m.teacher.join('+')}`)).toEqual([
      'embedding_norm←embedding_norm', 'block1_ffn_norm←block2_ffn_norm', 'block2_ffn_norm←block4_ffn_norm', 'block3_ffn_norm←block6_ffn_norm',
    ]);
    const heads = matches.filter((m) => m.student === 'block3_head2_attention')[0]!;
    expect(heads.teacher).toEqual(['block6_head3_attention', 'block6_head4_attention']);
    expect(uniformMatches({ layers: 'uniform', attention: 0, embeddings: 0 }, { blocks: 2, heads: 2 }, { blocks: 1, heads: 2 }).map((m) => m.student)).toEqual(['block1_ffn_norm']);
    expect(() => uniformMatches('uniform', { blocks: 3, heads: 2 }, { blocks: 2, heads: 2 })).toThrow(/multiple/);
  });

  it('pairs the heads a pruned student kept, by position, with the teacher\'s groups of heads', () => {
    const pruned = { blocks: 2, heads: 1, attentionLayers: [['block1_head2_attention'], ['block2_head1_attention', 'block2_head3_attention']] };
    const pairs = uniformMatches({ layers: 'uniform', hidden: 0, embeddings: 0 }, { blocks: 2, heads: 2 }, pruned).map((m) => `${m.student}←${m.teacher.join('+')}`);
    expect(pairs).toEqual(['block1_head2_attention←block1_head1_attention+block1_head2_attention',
      'block2_head1_attention←block2_head1_attention', 'block2_head3_attention←block2_head2_attention']);
  });

  it('pairs with the heads a pruned teacher kept in the block it maps (not block1\'s count and numbers)', () => {
    // Scope global took head 1 of the teacher's first block only.
    const teacher = { blocks: 2, heads: 1, attentionLayers: [['block1_head2_attention'], ['block2_head1_attention', 'block2_head2_attention']] };
    const pairs = (student: { blocks: number; heads: number }) => uniformMatches({ layers: 'uniform', hidden: 0, embeddings: 0 }, teacher, student).map((m) => `${m.student}←${m.teacher.join('+')}`);
    expect(pairs({ blocks: 1, heads: 1 })).toEqual(['block1_head1_attention←block2_head1_attention+block2_head2_attention']);
    expect(pairs({ blocks: 2, heads: 1 })).toEqual(['block1_head1_attention←block1_head2_attention', 'block2_head1_attention←block2_head1_attention+block2_head2_attention']);
    expect(() => pairs({ blocks: 2, heads: 2 })).toThrow("the teacher's heads (1 in block1) must be a multiple of the student's (2 in block1)");
  });
});

describe('teacher-output cache', () => {
  const steps = () => Math.ceil(data.train.count / 100);
  it('runs the teacher in the first epoch only, and again for a changed teacher', async () => {
    const hidden = [{ teacher: 'block1_ffn_norm', student: 'block1_ffn_norm', weight: 1, loss: 'mse' as const }];
    expect((await distill({ hidden, epochs: 3 })).metrics.teacherBatches).toBe(steps());
    expect((await distill({ hidden, epochs: 3, teacherCache: false })).metrics.teacherBatches).toBe(3 * steps());
    // one weight of the teacher changed: its fingerprint, so the cache key, changes
    const changed = await loadModelFromFiles(await modelFiles(teacher));
    const layer = changed.getLayer('output');
    const [kernel, bias] = layer.getWeights();
    layer.setWeights([tf.add(kernel!, 0.01), bias!]);
    expect((await distill({ hidden, epochs: 2 }, 16, changed)).metrics.teacherBatches).toBe(steps());
    expect((await distill({ hidden, epochs: 2 }, 16, changed)).metrics.teacherBatches).toBe(0);
  });
});
