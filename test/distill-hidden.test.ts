import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { heldOutBatch, loadExported, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';

const recipe = join(ROOT, 'test/fixtures/recipes/distill-hidden.yaml');
const BACKEND = 'wasm';
const statuses = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'stage-end').map((e) => `${e.name}:${e.status}`);

/** Mean squared difference between the teacher's and the student's `pool` outputs on the test split. */
async function pooledGap(out: string): Promise<number> {
  const teacher = (await loadExported(join(out, 'stages/01-teacher/model'))).model;
  const student = (await loadExported(join(out, 'model'))).model;
  const batch = heldOutBatch(out);
  const tap = (m: tf.LayersModel, name: string) => tf.model({ inputs: m.inputs, outputs: m.getLayer(name).output as tf.SymbolicTensor });
  return tf.tidy(() => tf.mean(tf.squaredDifference(tap(teacher, 'pool').predict(batch.xs) as tf.Tensor, tap(student, 'pool').predict(batch.xs) as tf.Tensor)).dataSync()[0]!);
}

const withHidden = tempDir();
const without = tempDir();
beforeAll(async () => {
  await useTestBackend();
  expect(runCli(['run', recipe, '--out', withHidden, '--backend', BACKEND]).code).toBe(0);
  // the same distillation with both pairs weighted 0: soft targets and labels only
  const plain = runCli(['run', recipe, '--out', without, '--backend', BACKEND, '--set', 'stages.distill.hidden.0.weight=0', '--set', 'stages.distill.hidden.1.weight=0']);
  expect(plain.code, plain.stderr).toBe(0);
});

describe('distill with hidden-state pairs', () => {
  it('pulls the student\'s hidden state toward the teacher\'s, and exports the student without the projections', async () => {
    const matched = await pooledGap(withHidden);
    const unmatched = await pooledGap(without);
    expect(matched).toBeLessThan(unmatched / 2);
    const { model } = await loadExported(join(withHidden, 'model'));
    expect(model.layers.map((l) => l.name)).toEqual(['embedding', 'pool', 'dense1', 'output']);
  });

  it('a layer name that does not exist is a usage error naming the right one', () => {
    const r = runCli(['run', recipe, '--out', tempDir(), '--backend', BACKEND, '--set', 'stages.distill.hidden.0.student=embeding']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('distill.hidden: the student has no layer "embeding" (did you mean "embedding"?)');
  });

  it('shapes that disagree beyond the last dimension are refused', () => {
    const r = runCli(['run', recipe, '--out', tempDir(), '--backend', BACKEND, '--set', 'stages.distill.hidden.0.student=pool']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('student layer "pool" outputs [batch, 16] and teacher layer "block1_ffn_inner" [batch, 24, 64]; they must agree in every dimension but the last');
  });

  it('a kill -9 mid-distillation, then --resume, ends bit-identical (the projections are checkpointed)', async () => {
    const out = tempDir();
    const child = spawn(process.execPath, [join(ROOT, 'bin/condense.mjs'), 'run', recipe, '--out', out, '--json', '--backend', BACKEND], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (const line of buffer.split('\n').slice(0, -1)) {
          const e = JSON.parse(line);
          if (e.event === 'progress' && e.name === 'distill' && e.epoch === 4 && e.step >= 2) child.kill('SIGKILL');
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      });
      child.on('exit', (_code, s) => resolve(s));
    });
    expect(signal).toBe('SIGKILL');
    const resumed = runCli(['run', recipe, '--out', out, '--json', '--backend', BACKEND, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(statuses(resumed.stdout)).toEqual(['teacher:cached', 'distill:resumed']);
    const weights = (dir: string) => readFileSync(join(dir, 'model/group1-shard1of1.bin'));
    expect(weights(out).equals(weights(withHidden))).toBe(true);
  });
});
