// A kind of model state added by a plugin (with its codec) survives everything the built-in kinds
// do: stage checkpoints, the training stages after it (carried along untouched), and a real
// kill -9 in the middle of one of them followed by --resume, bit-identical.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers.js';

const recipe = join(ROOT, 'test/fixtures/plugins/state-kind.yaml');
const run = (out: string, ...extra: string[]) => runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm', ...extra]);
const final = (out: string) => ({
  weights: readFileSync(join(out, 'model/group1-shard1of1.bin')),
  metrics: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).final.metrics as Record<string, number>,
});

/** Runs the recipe and sends SIGKILL once finetune has reported a step of its third epoch. */
function runAndKill(out: string): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/condense.mjs'), 'run', recipe, '--out', out, '--json', '--backend', 'wasm'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const e = JSON.parse(line) as Record<string, unknown>;
        if (e.event === 'progress' && e.name === 'finetune' && e.epoch === 3) child.kill('SIGKILL');
      }
    });
    child.on('exit', (_code, signal) => resolve(signal));
  });
}

describe('a plugin kind of model state', () => {
  it('is checkpointed by its codec, carried through training and restored on --resume after kill -9, bit-identical', async () => {
    const reference = tempDir();
    const first = run(reference);
    expect(first.code, first.stderr).toBe(0);
    const expected = final(reference);
    expect(expected.metrics.taggedWeights).toBe(2);
    expect(expected.metrics.tagSum).toBe(784 * 32 + 32 * 10);
    const lock = JSON.parse(readFileSync(join(reference, 'run.lock.json'), 'utf8'));
    const plugin = join(ROOT, 'test/fixtures/plugins/state-kind.mjs');
    expect(lock.plugins).toEqual([{
      spec: './state-kind.mjs', path: 'state-kind.mjs', sha256: createHash('sha256').update(readFileSync(plugin)).digest('hex'), codeSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    }]);
    expect(lock.stages[1].provenance.plugin).toBe(lock.plugins[0].codeSha256);
    for (const stage of ['02-tag', '03-finetune', '04-count']) {
      const tags = JSON.parse(readFileSync(join(reference, 'stages', stage, 'state/tags.json'), 'utf8'));
      expect((Object.values(tags) as number[]).sort((a, b) => a - b)).toEqual([320, 25088]);
    }

    const out = tempDir();
    expect(await runAndKill(out)).toBe('SIGKILL');
    const epochs = join(out, 'stages/03-finetune.epochs');
    const newest = readdirSync(epochs).filter((n) => n.startsWith('epoch-')).sort().at(-1)!;
    expect(existsSync(join(epochs, newest, 'state/tags.json'))).toBe(true);
    const resumed = run(out, '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    const statuses = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'stage-end').map((e) => e.status);
    expect(statuses).toEqual(['cached', 'cached', 'resumed', 'ran']);
    const got = final(out);
    expect(got.metrics.taggedWeights).toBe(expected.metrics.taggedWeights);
    expect(got.metrics.tagSum).toBe(expected.metrics.tagSum);
    expect(Buffer.compare(got.weights, expected.weights)).toBe(0);
  }, 240_000);
});
