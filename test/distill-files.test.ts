// Distillation with the student and the teacher from files: a LayersModel student given as
// student.path, and a TF.js GraphModel teacher ({ path, format: graph }) used for inference only.
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBuiltinModel } from '../src/model/builtin.js';
import { fit } from '../src/model/fit.js';
import { loadGraphModelFromPath } from '../src/model/graph/load.js';
import { runCli, tempDir, tinyMnist, useTestBackend } from './helpers.js';
import { writeModel } from './user-models.js';

beforeAll(async () => {
  await useTestBackend();
});

const dim = (shape: number[]) => ({ dim: shape.map((size) => ({ size: String(size) })) });
const constNode = (name: string, shape: number[]) => ({
  name, op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim(shape) } } },
});

/**
 * A trained dense network written as a TF.js GraphModel, as tensorflowjs_converter would write a
 * frozen graph: Placeholder → MatMul → BiasAdd → Relu → MatMul → BiasAdd → Softmax.
 */
function writeGraphModel(model: tf.LayersModel, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const [k1, b1, k2, b2] = model.weights.map((w) => w.read());
  const names = ['w1', 'b1', 'w2', 'b2'];
  const tensors = [k1!, b1!, k2!, b2!];
  const node = (name: string, op: string, input: string[]) => ({ name, op, input, attr: { T: { type: 'DT_FLOAT' } } });
  const nodes = [
    { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dim([-1, 784]) } } },
    ...names.map((n, i) => constNode(n, tensors[i]!.shape)),
    node('mm1', 'MatMul', ['x', 'w1']), node('add1', 'BiasAdd', ['mm1', 'b1']), node('relu1', 'Relu', ['add1']),
    node('mm2', 'MatMul', ['relu1', 'w2']), node('add2', 'BiasAdd', ['mm2', 'b2']), node('probs', 'Softmax', ['add2']),
  ];
  const bytes = Buffer.concat(tensors.map((t) => Buffer.from((t.dataSync() as Float32Array).buffer)));
  writeFileSync(join(dir, 'weights.bin'), bytes);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({
    format: 'graph-model', generatedBy: 'test', convertedBy: 'test',
    modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
    weightsManifest: [{ paths: ['weights.bin'], weights: names.map((n, i) => ({ name: n, shape: tensors[i]!.shape, dtype: 'float32' })) }],
  }));
}

describe('distill from files', () => {
  it('a GraphModel teacher predicts like the model it was written from, and its output is read as probabilities', async () => {
    const model = buildBuiltinModel({ builtin: 'mlp', hidden: [8] }, [784], 10, 3);
    const dir = join(tempDir('condense-graph-'), 'g');
    writeGraphModel(model, dir);
    const graph = await loadGraphModelFromPath(join(dir, 'model.json'));
    expect(graph.scores).toBe('probabilities');
    const xs = tf.randomUniform([4, 784], 0, 1, 'float32', 1);
    const want = (model.predict(xs) as tf.Tensor).dataSync();
    const got = (graph.model.predict(xs) as tf.Tensor).dataSync();
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);
  });

  it('trains a student from student.path against a graph-model teacher, and a changed teacher file reruns it', async () => {
    const data = tinyMnist(1200);
    const teacher = buildBuiltinModel({ builtin: 'mlp', hidden: [64] }, [784], 10, 3);
    await fit({ model: teacher, data, epochs: 3, batchSize: 32, optimizer: { name: 'adam', learningRate: 0.003 }, seed: 1 });
    const dir = tempDir('condense-distill-files-');
    writeGraphModel(teacher, join(dir, 'teacher'));
    // the student takes images [28, 28, 1] and ends in logits: both are read from its file
    const input = tf.input({ shape: [28, 28, 1] });
    const hidden = tf.layers.dense({ units: 16, activation: 'relu', name: 'h', kernelInitializer: tf.initializers.glorotUniform({ seed: 21 }) }).apply(tf.layers.flatten().apply(input)) as tf.SymbolicTensor;
    await writeModel(tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10, name: 'logits', kernelInitializer: tf.initializers.glorotUniform({ seed: 22 }) }).apply(hidden) as tf.SymbolicTensor }), join(dir, 'student'));
    writeFileSync(join(dir, 'recipe.yaml'), [
      'version: 1', 'name: distill-files', 'seed: 2', 'data: { dataset: mnist, limit: 1200 }', 'model: { builtin: mlp, hidden: [8] }', 'stages:',
      '  - name: student', '    type: distill', '    teacher: { path: ./teacher/model.json, format: graph }', '    student: { path: ./student/model.json }',
      '    alpha: 0.5', '    epochs: 3', '    batchSize: 32', '    optimizer: { name: adam, learningRate: 0.003 }', '',
    ].join('\n'));
    const out = join(dir, 'out');
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', out, '--backend', 'wasm', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.final.metrics.accuracy).toBeGreaterThan(0.7);
    const exported = JSON.parse(readFileSync(join(out, 'model', 'model.json'), 'utf8'));
    expect(JSON.stringify(exported.modelTopology)).toContain('"name":"logits"');
    expect(runCli(['plan', join(dir, 'recipe.yaml'), '--out', out, '--backend', 'wasm']).stdout).toMatch(/student.*cached/);
    writeFileSync(join(dir, 'teacher', 'weights.bin'), Buffer.alloc(readFileSync(join(dir, 'teacher', 'weights.bin')).length));
    expect(runCli(['plan', join(dir, 'recipe.yaml'), '--out', out, '--backend', 'wasm']).stdout).toMatch(/student.*will run/);
  }, 60_000);
});
