// A TF.js GraphModel as `model.path` (what converting a SavedModel gives): through the stages that
// need no training, exported as a graph model the stock tf.loadGraphModel reads, its quality
// reported as agreement with the model as given; training stages refused before anything runs.
import * as tf from '@tensorflow/tfjs';
import { copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { smallCnn, writeConvertedGraphModel } from '../examples/graph-model/graph-model.mjs';
import { makeBatch } from '../src/model/batches.js';
import { heldOutBatch, ROOT, runCli, tempDir, tinyMnist, useTestBackend } from './helpers.js';

const DATA = 'data: { dataset: mnist, testFraction: 0.25, limit: 1600 }';

beforeAll(async () => {
  await useTestBackend();
});

/** Stock tf.loadGraphModel over a directory of files (the judge of what users get). */
async function stockGraphModel(dir: string): Promise<tf.GraphModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const bytes = Buffer.concat(json.weightsManifest[0].paths.map((p: string) => readFileSync(join(dir, p))));
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, format: 'graph-model', signature: json.signature, weightSpecs: json.weightsManifest[0].weights,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  }));
}

/** A CNN trained for three epochs on MNIST digits, written once as a converted graph model; copied into each project. */
let trained: Promise<string> | undefined;
async function trainedGraph(project: string): Promise<void> {
  trained ??= (async () => {
    const model = smallCnn(5);
    const data = tinyMnist(1600, 11);
    const batch = makeBatch(data.train, [28, 28, 1], 10, null, 0, data.train.count);
    model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy' });
    await model.fit(batch.xs, batch.ys, { epochs: 3, batchSize: 64, verbose: 0 });
    tf.dispose([batch.xs, batch.ys]);
    const dir = join(tempDir(), 'graph');
    writeConvertedGraphModel(model, dir);
    model.dispose();
    return dir;
  })();
  cpSync(await trained, join(project, 'graph'), { recursive: true });
}

describe('a GraphModel as model.path', () => {
  it('the test translation predicts like the LayersModel it was written from', async () => {
    const project = tempDir();
    const model = smallCnn(2);
    writeConvertedGraphModel(model, join(project, 'graph'));
    const graph = await stockGraphModel(join(project, 'graph'));
    const xs = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 4);
    const want = (model.predict(xs) as tf.Tensor).dataSync();
    const got = (graph.predict(xs) as tf.Tensor).dataSync();
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);
  });

  it('prunes one-shot, quantizes and exports a graph model the stock loader reads, reporting agreement with the original', async () => {
    const project = tempDir();
    await trainedGraph(project);
    writeFileSync(join(project, 'recipe.yaml'), ['version: 1', 'name: graph-ptq', 'seed: 1', DATA, 'model: { path: ./graph/model.json }', 'stages:',
      '  - { name: prune, type: prune, sparsity: 0.5, include: ["type:_FusedConv2D", "type:_FusedMatMul"] }',
      '  - { name: quantize, type: quantize, weights: { dtype: uint8 } }', '  - { name: final, type: evaluate }', '  - { name: export, type: export }',
      'gates: { sizeRatio: { max: 0.3 } }', ''].join('\n'));
    const out = join(project, 'run');
    const run = runCli(['run', join(project, 'recipe.yaml'), '--out', out, '--backend', 'wasm', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.baseline.stage).toBe('input');
    expect(report.baseline.metrics.agreement).toBe(1);
    expect(report.baseline.metrics.accuracy).toBeGreaterThan(0.8);
    const final = report.final.metrics;
    expect(final.agreement).toBeGreaterThan(0.9);
    expect(final.agreement).toBeLessThanOrEqual(1);
    expect(report.final.relative.sizeRatio).toBeLessThanOrEqual(0.3);

    const exported = JSON.parse(readFileSync(join(out, 'model', 'model.json'), 'utf8'));
    expect(exported.format).toBe('graph-model');
    const original = JSON.parse(readFileSync(join(project, 'graph', 'model.json'), 'utf8'));
    expect(exported.modelTopology).toEqual(original.modelTopology);
    const specs = exported.weightsManifest[0].weights as Array<{ name: string; dtype: string; quantization?: { dtype: string } }>;
    // Kernels are stored uint8; tiny biases uint8 would make larger stay float32.
    expect(specs.filter((s) => s.name.endsWith('Conv2D/ReadVariableOp') || s.name.endsWith('MatMul/ReadVariableOp')).every((s) => s.quantization?.dtype === 'uint8')).toBe(true);
    expect(specs.find((s) => s.name.endsWith('conv1/BiasAdd/ReadVariableOp'))?.quantization).toBeUndefined();
    expect(specs.find((s) => s.dtype === 'int32')?.quantization).toBeUndefined();

    // The stock loader's predictions give the accuracy and agreement the report states.
    const graph = await stockGraphModel(join(out, 'model'));
    const given = await stockGraphModel(join(project, 'graph'));
    const batch = heldOutBatch(out);
    const xs = batch.xs.reshape([-1, 28, 28, 1]);
    const predicted = (graph.predict(xs) as tf.Tensor).argMax(-1).dataSync();
    const reference = (given.predict(xs) as tf.Tensor).argMax(-1).dataSync();
    const n = batch.labels.length;
    expect(predicted.filter((p, i) => p === batch.labels[i]).length / n).toBeCloseTo(final.accuracy, 2);
    expect(predicted.filter((p, i) => p === reference[i]).length / n).toBeCloseTo(final.agreement, 2);
    // Half of every kernel is zero; biases are not pruned.
    const weights = graph.weights;
    const kernel = weights['StatefulPartitionedCall/sequential/fc1/MatMul/ReadVariableOp']![0]!.dataSync();
    expect(kernel.filter((v) => v === 0).length / kernel.length).toBeGreaterThan(0.45);

    // Run again: every stage is taken from its checkpoint, which holds a graph model.
    const again = runCli(['run', join(project, 'recipe.yaml'), '--out', out, '--backend', 'wasm', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(second.stages.map((s: { status: string }) => s.status)).toEqual(['cached', 'cached', 'cached', 'cached']);
    expect(second.final.metrics.agreement).toBe(final.agreement);
  }, 180_000);

  it('clusters a graph model\'s kernels: at most 16 distinct values each, as the stock loader decodes them', async () => {
    const project = tempDir();
    await trainedGraph(project);
    writeFileSync(join(project, 'recipe.yaml'), ['version: 1', 'name: graph-cluster', 'seed: 1', DATA, 'model: { path: ./graph/model.json }', 'stages:',
      '  - { name: cluster, type: cluster, clusters: 16, include: ["type:_FusedConv2D", "type:_FusedMatMul"] }',
      '  - { name: quantize, type: quantize, weights: { dtype: uint8 } }', ''].join('\n'));
    const out = join(project, 'run');
    const run = runCli(['run', join(project, 'recipe.yaml'), '--out', out, '--backend', 'wasm', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.final.metrics.agreement).toBeGreaterThan(0.9);
    const graph = await stockGraphModel(join(out, 'model'));
    for (const name of ['conv1/Conv2D', 'conv2/Conv2D', 'fc1/MatMul', 'output/MatMul']) {
      const values = graph.weights[`StatefulPartitionedCall/sequential/${name}/ReadVariableOp`]![0]!.dataSync();
      expect(new Set(values).size, name).toBeLessThanOrEqual(16);
    }
  }, 120_000);

  it('refuses stages that train, before anything runs, located in the recipe', async () => {
    const project = tempDir();
    writeConvertedGraphModel(smallCnn(3), join(project, 'graph'));
    writeFileSync(join(project, 'recipe.yaml'), ['version: 1', 'name: graph-train', 'seed: 1', DATA, 'model: { path: ./graph/model.json }', 'stages:',
      '  - { name: tune, type: finetune, epochs: 1 }', '  - { name: gradual, type: prune, sparsity: 0.5, schedule: { kind: polynomial } }',
      '  - { name: export, type: export, format: layers-model }', ''].join('\n'));
    const validate = runCli(['validate', join(project, 'recipe.yaml')]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toMatch(/recipe\.yaml:7:\d+.*GraphModel, which cannot be trained: a finetune stage trains/);
    expect(validate.stderr).toMatch(/recipe\.yaml:8:\d+.*schedule polynomial trains while pruning/);
    expect(validate.stderr).toMatch(/recipe\.yaml:9:\d+.*does not convert a GraphModel to a layers model/);
    expect(validate.stderr).not.toMatch(/at .*\.js:\d+/);
  }, 60_000);
});

describe('examples/graph-model', () => {
  it('builds a converter-style graph model and compresses it within its gates; the export loads with tf.loadGraphModel', async () => {
    const dir = tempDir('condense-graph-example-');
    const example = join(ROOT, 'examples/graph-model');
    const built = spawnSync(process.execPath, [join(example, 'build.mjs'), dir], { encoding: 'utf8', timeout: 120_000 });
    expect(built.status, built.stderr).toBe(0);
    copyFileSync(join(example, 'recipe.yaml'), join(dir, 'recipe.yaml'));
    const run = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'run'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'run', 'report.json'), 'utf8'));
    expect(report.baseline.metrics.accuracy).toBeGreaterThan(0.85);
    expect(report.gates.every((g: { passed: boolean }) => g.passed)).toBe(true);
    const graph = await stockGraphModel(join(dir, 'run', 'model'));
    expect(graph.outputNodes).toEqual(['Identity:0']);
  }, 180_000);
});
