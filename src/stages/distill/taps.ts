import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../../errors.js';
import { deriveSeed } from '../../util/prng.js';
import { didYouMean } from '../../util/suggest.js';
import type { Match } from './pairs.js';
import { reshapedFor } from './teacher.js';
import type { Teacher } from './teacher.js';

/** The models a distillation trains and queries, and how the teacher's tapped outputs become each match's target. */
export interface Taps {
  /** The teacher's output and the outputs of the teacher layers the matches name, in {@link teacherLayers} order. */
  teacher: (xs: tf.Tensor) => tf.Tensor[];
  /** Distinct teacher layers tapped (the cache stores their outputs). */
  teacherLayers: string[];
  /** The student with one extra output per match (projected where widths differ). */
  student: tf.LayersModel;
  /** Each match's teacher target from the tapped layer outputs (the mean where a match names several). */
  targets: (tapped: tf.Tensor[]) => tf.Tensor[];
}

const shapeText = (dims: readonly (number | null)[]) => `[${dims.map((d) => d ?? 'batch').join(', ')}]`;

function layerOutput(model: tf.LayersModel, role: string, m: Match, name: string): tf.SymbolicTensor {
  const names = model.layers.map((l) => l.name);
  if (!names.includes(name)) {
    const hint = didYouMean(name, names) ?? `its layers: ${names.join(', ')}`;
    throw new UsageError(`distill.${m.field}: the ${role} has no layer "${name}" (${hint})`);
  }
  return model.getLayer(name).output as tf.SymbolicTensor;
}

/**
 * Builds the taps of `matches`. Without any: the student and the teacher themselves. With them:
 * the same layers with extra outputs. The projections are layers of the training model only, so
 * epoch checkpoints keep them but the exported student does not.
 */
export function buildTaps(teacher: Teacher, student: tf.LayersModel, matches: Match[], seed: number): Taps {
  if (matches.length === 0) return { teacher: (xs) => [teacher.predict(xs)], teacherLayers: [], student, targets: () => [] };
  if (!teacher.layers) throw new UsageError(`distill.${matches[0]!.field} needs a LayersModel teacher: a graph-model teacher has no layers to match`);
  const teacherModel = teacher.layers;
  const teacherLayers = [...new Set(matches.flatMap((m) => m.teacher))];
  const teacherOutputs = new Map(teacherLayers.map((name) => [name, layerOutput(teacherModel, 'teacher', matches.find((m) => m.teacher.includes(name))!, name)]));
  const studentOutputs = matches.map((m, i) => {
    const out = layerOutput(student, 'student', m, m.student);
    const want = teacherOutputs.get(m.teacher[0]!)!.shape;
    for (const other of m.teacher.slice(1)) {
      if (teacherOutputs.get(other)!.shape.join() !== want.join()) throw new UsageError(`distill.${m.field}: teacher layers ${m.teacher.join(', ')} differ in shape`);
    }
    const lastDiffers = out.shape.at(-1) !== want.at(-1);
    if (out.shape.length !== want.length || out.shape.slice(1, -1).some((d, k) => d !== want[k + 1]) || (lastDiffers && !m.project)) {
      throw new UsageError(`distill.${m.field}: student layer "${m.student}" outputs ${shapeText(out.shape)} and teacher layer "${m.teacher.join('", "')}" `
        + `${shapeText(want)}; they must agree in every dimension${m.project ? ' but the last' : ''}`);
    }
    if (!lastDiffers) return out;
    return tf.layers.dense({
      units: want.at(-1)!, useBias: false, name: `hidden_projection_${i + 1}`,
      kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, `hidden-projection:${i}`) }),
    }).apply(out) as tf.SymbolicTensor;
  });
  const tapped = tf.model({ inputs: teacherModel.inputs, outputs: [teacherModel.outputs[0]!, ...teacherOutputs.values()] });
  const shape = teacherModel.inputs[0]!.shape.slice(1);
  const index = new Map(teacherLayers.map((name, i) => [name, i]));
  return {
    teacher: (xs) => [tapped.predict(reshapedFor(xs, shape, 'teacher')) as tf.Tensor | tf.Tensor[]].flat(),
    teacherLayers,
    student: tf.model({ inputs: student.inputs, outputs: [student.outputs[0]!, ...studentOutputs] }),
    targets: (layers) => matches.map((m) => {
      const parts = m.teacher.map((name) => layers[index.get(name)!]!);
      return parts.length === 1 ? tf.clone(parts[0]!) : tf.tidy(() => tf.div(tf.addN(parts), parts.length));
    }),
  };
}
