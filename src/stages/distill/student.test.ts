import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestBackend } from '../../../test/helpers.js';
import { UsageError } from '../../errors.js';
import { buildBuiltinModel } from '../../model/builtin.js';
import { testStageContext } from '../testing.js';
import { droppedBlocks, loadStudent, studentProblems, trimmedVocabularyProblems } from './student.js';
import type { StudentSpec } from './student.js';

beforeAll(async () => {
  await useTestBackend();
});

const teacherOf = (model: tf.LayersModel) => ({ layers: model, outputs: { kind: 'classification' as const, scores: 'probabilities' as const }, predict: (xs: tf.Tensor) => model.predict(xs) as tf.Tensor, fingerprint: () => 'test', dispose: () => {} });

async function studentFrom(model: tf.LayersModel, student: StudentSpec) {
  const ctx = testStageContext({ student }, {} as never, {} as never);
  return (await loadStudent(ctx, teacherOf(model))).model as tf.LayersModel;
}

describe('a student made from the teacher (keepLayers)', () => {
  it('keeps the listed blocks with the teacher\'s weights, drops the others', async () => {
    const teacher = buildBuiltinModel({ builtin: 'bert', dim: 8, layers: 3, heads: 2 }, [6], 2, 5, 30);
    const student = await studentFrom(teacher, { from: 'teacher', keepLayers: [0, 2] });
    const blocks = (m: tf.LayersModel) => [...new Set(m.layers.map((l) => /^(block\d+)_/.exec(l.name)?.[1]).filter(Boolean))];
    expect(blocks(student)).toEqual(['block1', 'block3']);
    const block2 = teacher.layers.filter((l) => l.name.startsWith('block2_')).reduce((n, l) => n + l.countParams(), 0);
    expect(student.countParams()).toBe(teacher.countParams() - block2);
    for (const layer of student.layers) {
      expect(layer.getWeights().map((w) => Array.from(w.dataSync())), layer.name)
        .toEqual(teacher.getLayer(layer.name).getWeights().map((w) => Array.from(w.dataSync())));
    }
    expect(student.getLayer('block3_head1_query').inboundNodes[0]!.inboundLayers[0]!.name).toBe('block1_ffn_norm');
    // A copy: training the student leaves the teacher alone.
    student.getLayer('output').setWeights(student.getLayer('output').getWeights().map((w) => tf.zerosLike(w)));
    expect(teacher.getLayer('output').getWeights()[0]!.dataSync().some((v) => v !== 0)).toBe(true);
  });

  it('refuses a block index the teacher does not have, and a block listed twice', () => {
    expect(droppedBlocks(['block1', 'block2'], [1])).toEqual(['block1']);
    expect(() => droppedBlocks(['block1', 'block2'], [0, 2])).toThrow(UsageError);
    expect(() => droppedBlocks(['block1', 'block2'], [0, 2])).toThrow('the teacher has 2 blocks (block1, block2); there is no block 2');
    expect(studentProblems({ from: 'teacher', keepLayers: [0, 1, 0] })).toEqual([{ path: ['student', 'keepLayers', 2], message: 'block 0 is listed twice' }]);
  });
});

describe('distillation after trim-vocabulary', () => {
  const earlier = [{ name: 'teacher', type: 'train' }, { name: 'trim', type: 'trim-vocabulary' }, { name: 'tuned', type: 'finetune' }];
  it('refuses a new student and a teacher from before the trim; the current model with a later teacher is fine', () => {
    expect(trimmedVocabularyProblems({ teacher: 'stage:teacher', student: { builtin: 'textmlp' } }, earlier).map((p) => p.path)).toEqual([['student'], ['teacher']]);
    expect(trimmedVocabularyProblems({ teacher: 'stage:teacher' }, earlier)[0]!.message).toBe('teacher stage:teacher comes before trim-vocabulary stage "trim": it reads the old token ids');
    expect(trimmedVocabularyProblems({ teacher: 'stage:tuned' }, earlier)).toEqual([]);
    expect(trimmedVocabularyProblems({ teacher: 'stage:teacher', student: { builtin: 'textmlp' } }, earlier.slice(0, 1))).toEqual([]);
  });
});
