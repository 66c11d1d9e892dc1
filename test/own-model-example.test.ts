// examples/own-model end to end: a user's functional model and data (image folder and CSV) through
// prune + finetune + quantize, distillation into their own student, and quantize-only; every
// exported model read back with the stock TF.js loader, still functional, predicting as reported.
import * as tf from '@tensorflow/tfjs';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { ROOT, runCli, tempDir, useTestBackend } from './helpers.js';

const EXAMPLE = join(ROOT, 'examples/own-model');
let dir: string;

beforeAll(async () => {
  await useTestBackend();
  dir = tempDir('condense-own-model-');
  const built = spawnSync(process.execPath, [join(EXAMPLE, 'build.mjs'), dir], { encoding: 'utf8', timeout: 180_000 });
  expect(built.status, built.stderr).toBe(0);
  for (const f of readdirSync(EXAMPLE).filter((n) => n.endsWith('.yaml'))) copyFileSync(join(EXAMPLE, f), join(dir, f));
}, 200_000);

/** The test images, as the model takes them, with their labels. */
function testImages(): { xs: tf.Tensor4D; labels: number[] } {
  const root = join(dir, 'data/images/test');
  const pixels: number[] = [];
  const labels: number[] = [];
  for (const digit of readdirSync(root).sort()) {
    for (const f of readdirSync(join(root, digit)).sort()) {
      const png = PNG.sync.read(readFileSync(join(root, digit, f)));
      for (let i = 0; i < 28 * 28; i++) pixels.push(png.data[i * 4]! / 255);
      labels.push(Number(digit));
    }
  }
  return { xs: tf.tensor4d(pixels, [labels.length, 28, 28, 1]), labels };
}

/** Loads `run/model` with the stock loader and returns its class name and accuracy on the test images. */
async function exported(run: string): Promise<{ className: string; accuracy: number }> {
  const files = (name: string) => readFileSync(join(run, 'model', name));
  const json = JSON.parse(files('model.json').toString('utf8'));
  const weights = Buffer.concat(json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map(files)));
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights), weightData: new Uint8Array(weights).buffer }));
  const { xs, labels } = testImages();
  const predicted = (model.predict(xs) as tf.Tensor).argMax(-1).dataSync();
  const accuracy = labels.filter((l, i) => predicted[i] === l).length / labels.length;
  return { className: model.getClassName(), accuracy };
}

function run(recipe: string) {
  const out = join(dir, `run-${recipe}`);
  const r = runCli(['run', join(dir, `${recipe}.yaml`), '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return { out, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

describe('examples/own-model', () => {
  it('prune + finetune + quantize on the image folders: functional, 50% sparse convolutions, accuracy as reported', async () => {
    const { out, report } = run('prune-finetune-quantize');
    expect(report.baseline.stage).toBe('input');
    const model = await exported(out);
    expect(model.className).toBe('Model');
    expect(Math.abs(model.accuracy - report.final.metrics.accuracy)).toBeLessThanOrEqual(0.005);
    expect(report.final.metrics.accuracy).toBeGreaterThan(0.6);
    const stem = report.final.layers.find((l: { name: string }) => l.name === 'stem').weights[0];
    expect(stem.sparsity).toBeGreaterThanOrEqual(0.45);
  }, 240_000);

  it('distills into the user\'s own student from the CSV: smaller, and predicting as reported', async () => {
    const { out, report } = run('distill');
    expect(report.final.metrics.params).toBeLessThan(report.baseline.metrics.params / 2);
    // An untrained student of a quarter the width, a few epochs: well above chance (0.1), below the teacher.
    expect(report.final.metrics.accuracy).toBeGreaterThan(0.3);
    const model = await exported(out);
    expect(model.className).toBe('Model');
    expect(Math.abs(model.accuracy - report.final.metrics.accuracy)).toBeLessThanOrEqual(0.005);
  }, 240_000);

  it('quantize-only: the baseline is the model as given, and the uint8 model keeps its accuracy', async () => {
    const { out, report } = run('quantize-only');
    expect(report.baseline.stage).toBe('input');
    expect(report.gates.every((g: { passed: boolean }) => g.passed)).toBe(true);
    const model = await exported(out);
    expect(Math.abs(model.accuracy - report.final.metrics.accuracy)).toBeLessThanOrEqual(0.005);
  }, 240_000);
});
