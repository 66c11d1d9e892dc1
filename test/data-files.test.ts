import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnistDigits } from '../src/data/mnist.js';
import { modelFiles } from '../src/model/io.js';
import { runCli, tempDir, useTestBackend } from './helpers.js';

const COUNT = 240;

/** The first COUNT digits of a seeded pick over the bundled MNIST: pixels in [0, 1] and labels. */
function digits(): Array<{ pixels: Float32Array; label: number }> {
  const ex = loadMnistDigits();
  return Array.from({ length: COUNT }, (_, i) => {
    const row = (i * 7919) % ex.count;
    return { pixels: ex.x.subarray(row * 784, (row + 1) * 784) as Float32Array, label: ex.y[row]! };
  });
}

function recipe(name: string, data: string, model: string): string {
  return ['version: 1', `name: ${name}`, `data: ${data}`, `model: ${model}`, 'stages:',
    '  - { name: baseline, type: train, epochs: 2, batchSize: 32 }', ''].join('\n');
}

function run(args: string[]) {
  const r = runCli(args);
  return { ...r, json: r.code === 0 && args[0] === 'plan' ? JSON.parse(r.stdout) : undefined };
}

describe('datasets from files, through the CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('condense-data-cli-');
    const rows = digits();
    const header = ['label', ...Array.from({ length: 784 }, (_, j) => `p${j}`)].join(',');
    writeFileSync(join(dir, 'digits.csv'), [header, ...rows.map((r) => `${r.label},${Array.from(r.pixels, (v) => Math.round(v * 255) / 255).join(',')}`)].join('\r\n') + '\r\n');
    rows.forEach((r, i) => {
      const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, inputHasAlpha: false });
      png.data = Buffer.from(Array.from(r.pixels, (v) => Math.round(v * 255)));
      mkdirSync(join(dir, 'images', `digit-${r.label}`), { recursive: true });
      writeFileSync(join(dir, 'images', `digit-${r.label}`, `${i}.png`), PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
    });
    writeFileSync(join(dir, 'images', '.DS_Store'), 'junk');
    await useTestBackend();
    const input = tf.input({ shape: [28, 28, 1] });
    const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
    // Seeded: the model (and so the accuracy asserted below) is the same on every run.
    const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });
    const hidden = tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: seeded(1) }).apply(flat) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(2) }).apply(hidden) as tf.SymbolicTensor;
    const files = await modelFiles(tf.model({ inputs: input, outputs: output }));
    mkdirSync(join(dir, 'model'));
    for (const [name, bytes] of files) writeFileSync(join(dir, 'model', name), bytes);
    writeFileSync(join(dir, 'csv.yaml'), recipe('csv-digits', '{ dataset: csv, path: digits.csv, testFraction: 0.25 }', '{ builtin: mlp, hidden: [32] }'));
    writeFileSync(join(dir, 'images.yaml'), recipe('image-digits', '{ dataset: images, path: images, testFraction: 0.25 }', '{ path: model/model.json }'));
  }, 60_000);

  it('a CSV of 784 feature columns trains the builtin mlp; plan reruns after the file changes', () => {
    const out = join(dir, 'runs-csv');
    const r = run(['run', join(dir, 'csv.yaml'), '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.stages[0].metrics.accuracy).toBeGreaterThan(0.3);
    const cached = run(['plan', join(dir, 'csv.yaml'), '--out', out, '--json']);
    expect(cached.code, cached.stderr).toBe(0);
    expect(cached.json.steps.map((s: { action: string }) => s.action)).toEqual(['cached']);
    const csv = readFileSync(join(dir, 'digits.csv'), 'utf8');
    writeFileSync(join(dir, 'digits.csv'), csv.replace(/\r\n(\d),0,/, '\r\n$1,0.5,'));
    const changed = run(['plan', join(dir, 'csv.yaml'), '--out', out, '--json']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.json.steps.map((s: { action: string }) => s.action)).toEqual(['run']);
    writeFileSync(join(dir, 'digits.csv'), csv);
  }, 120_000);

  it('an image-folder tree trains a model.path model taking [28, 28, 1]', () => {
    const out = join(dir, 'runs-images');
    const r = run(['run', join(dir, 'images.yaml'), '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.stages[0].metrics.accuracy).toBeGreaterThan(0.3);
  }, 120_000);

  it('a broken row exits 2 naming file and line, quickly, before any stage runs', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    const csv = readFileSync(join(dir, 'digits.csv'), 'utf8').split('\r\n');
    csv[5] = csv[5]!.split(',').slice(0, 784).join(',');
    writeFileSync(join(bad, 'digits.csv'), csv.join('\r\n'));
    writeFileSync(join(bad, 'csv.yaml'), readFileSync(join(dir, 'csv.yaml'), 'utf8'));
    const out = join(bad, 'runs');
    const start = Date.now();
    const r = runCli(['run', join(bad, 'csv.yaml'), '--out', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(Date.now() - start).toBeLessThan(20_000);
    expect(r.stderr).toContain('digits.csv:6: 784 values, but the header has 785 columns');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(out) ? readdirSync(out).filter((f) => /baseline/.test(f)) : []).toEqual([]);
  }, 60_000);
});
