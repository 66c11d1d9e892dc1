import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireNativeAddon, ROOT, runCli, runCliAsync, tempCache, tempDir } from './helpers.js';

const recipe = join(ROOT, 'test/fixtures/recipes/resume.yaml');
const BACKEND = process.env.CONDENSE_TEST_BACKEND ?? 'wasm';
let reference: { weights: Buffer; report: { final: { metrics: Record<string, number> } } };
/** The uninterrupted reference run's directory (its weights and report are read into `reference` first). */
let referenceOut: string;

function finalOf(out: string) {
  return {
    weights: readFileSync(join(out, 'model/group1-shard1of1.bin')),
    report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')),
  };
}

function statuses(stdout: string): string[] {
  return stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'stage-end').map((e) => `${e.name}:${e.status}`);
}

/** Starts a run and SIGKILLs it when `when` matches an event (a real kill -9 from outside). */
function runAndKill(out: string, when: (e: Record<string, unknown>) => boolean, signal: NodeJS.Signals = 'SIGKILL', backend = BACKEND, extra: string[] = []) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; seconds: number }>((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/condense.mjs'), 'run', recipe, '--out', out, '--json', '--backend', backend, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    let sentAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        if (!sentAt && when(JSON.parse(line))) {
          sentAt = performance.now();
          child.kill(signal);
        }
      }
    });
    child.on('exit', (code, sig) => resolve({ code, signal: sig, seconds: (performance.now() - sentAt) / 1000 }));
  });
}

beforeAll(() => {
  referenceOut = tempDir();
  const r = runCli(['run', recipe, '--out', referenceOut, '--json', '--backend', BACKEND]);
  expect(r.code, r.stderr).toBe(0);
  reference = finalOf(referenceOut);
});

describe('crash-safe runs (real SIGKILL, then --resume)', () => {
  it('mid-epoch of a training stage: resumes from the last epoch checkpoint, bit-identical', async () => {
    const out = tempDir();
    const killed = await runAndKill(out, (e) => e.event === 'progress' && e.name === 'baseline' && e.epoch === 2 && (e.step as number) >= 5);
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'stages/01-baseline.epochs'))).toBe(true);
    const plan = JSON.parse(runCli(['plan', recipe, '--out', out, '--backend', BACKEND, '--resume', '--json']).stdout);
    expect(plan.steps[0]).toMatchObject({ action: 'resume', reason: 'continues after epoch 1' });
    const resumed = runCli(['run', recipe, '--out', out, '--json', '--backend', BACKEND, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(statuses(resumed.stdout)[0]).toBe('baseline:resumed');
    const got = finalOf(out);
    expect(got.weights.equals(reference.weights)).toBe(true);
    expect(got.report.final.metrics.accuracy).toBe(reference.report.final.metrics.accuracy);
  });

  it('mid-epoch of gradual pruning: masks and schedule continue exactly', async () => {
    const out = tempDir();
    await runAndKill(out, (e) => e.event === 'progress' && e.name === 'prune' && e.epoch === 2 && (e.step as number) >= 3);
    const resumed = runCli(['run', recipe, '--out', out, '--json', '--backend', BACKEND, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(statuses(resumed.stdout).slice(0, 2)).toEqual(['baseline:cached', 'prune:resumed']);
    expect(finalOf(out).weights.equals(reference.weights)).toBe(true);
  });

  it('between stages: completed stages are cached, the rest run', async () => {
    const out = tempDir();
    await runAndKill(out, (e) => e.event === 'stage-end' && e.name === 'prune');
    const resumed = runCli(['run', recipe, '--out', out, '--json', '--backend', BACKEND, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(statuses(resumed.stdout)).toEqual(['baseline:cached', 'prune:cached', 'finetune:ran', 'quantize:ran', 'final:ran']);
    expect(finalOf(out).weights.equals(reference.weights)).toBe(true);
  });

  it('without --resume an interrupted stage restarts from its start (same result); a changed recipe is refused', async () => {
    const out = tempDir();
    await runAndKill(out, (e) => e.event === 'progress' && e.name === 'finetune' && e.epoch === 2);
    const refused = runCli(['run', recipe, '--out', out, '--backend', BACKEND, '--resume', '--set', 'stages.finetune.epochs=3']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot resume: stage "finetune" has an epoch checkpoint written for a different recipe/);
    const plan = runCli(['plan', recipe, '--out', out, '--backend', BACKEND]);
    expect(plan.stdout).toMatch(/finetune .* will run .*interrupted run stopped after epoch 1: restarting/);
    const rerun = runCli(['run', recipe, '--out', out, '--json', '--backend', BACKEND]);
    expect(statuses(rerun.stdout)).toEqual(['baseline:cached', 'prune:cached', 'finetune:ran', 'quantize:ran', 'final:ran']);
    expect(finalOf(out).weights.equals(reference.weights)).toBe(true);
  });

  it('SIGINT stops at a safe point within seconds with exit 130, and the run resumes', async () => {
    const out = tempDir();
    const stopped = await runAndKill(out, (e) => e.event === 'progress' && e.name === 'baseline' && e.epoch === 2 && (e.step as number) >= 2, 'SIGINT');
    expect(stopped.code).toBe(130);
    expect(stopped.seconds).toBeLessThan(5);
    const resumed = runCli(['run', recipe, '--out', out, '--json', '--backend', BACKEND, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(finalOf(out).weights.equals(reference.weights)).toBe(true);
  });
});

describe('resume on the cpu backend too', () => {
  it('a SIGKILL mid-epoch, then --resume, ends bit-identical to an uninterrupted cpu run', async () => {
    const fast = ['--set', 'data.limit=400', '--set', 'stages.prune.schedule.epochs=1'];
    const straight = tempDir();
    expect(runCli(['run', recipe, '--out', straight, '--backend', 'cpu', ...fast]).code).toBe(0);
    const out = tempDir();
    const killed = await runAndKill(out, (e) => e.event === 'progress' && e.name === 'finetune' && e.epoch === 2 && (e.step as number) >= 3, 'SIGKILL', 'cpu', fast);
    expect(killed.signal).toBe('SIGKILL');
    const resumed = runCli(['run', recipe, '--out', out, '--json', '--backend', 'cpu', '--resume', ...fast]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(statuses(resumed.stdout)).toEqual(['baseline:cached', 'prune:cached', 'finetune:resumed', 'quantize:ran', 'final:ran']);
    expect(finalOf(out).weights.equals(finalOf(straight).weights)).toBe(true);
  });
});

describe('resume on the native backend (auto picks it; Adam is fused there)', () => {
  beforeEach(requireNativeAddon);
  it('a SIGKILL mid-epoch of a training stage, then --resume, ends bit-identical to an uninterrupted native run', async () => {
    const fast = ['--set', 'data.limit=400', '--set', 'stages.prune.schedule.epochs=1'];
    const straight = tempDir();
    expect(runCli(['run', recipe, '--out', straight, '--backend', 'native', ...fast]).code).toBe(0);
    const out = tempDir();
    const killed = await runAndKill(out, (e) => e.event === 'progress' && e.name === 'baseline' && e.epoch === 2 && (e.step as number) >= 3, 'SIGKILL', 'native', fast);
    expect(killed.signal).toBe('SIGKILL');
    const resumed = runCli(['run', recipe, '--out', out, '--json', '--backend', 'native', '--resume', ...fast]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(statuses(resumed.stdout)).toEqual(['baseline:resumed', 'prune:ran', 'finetune:ran', 'quantize:ran', 'final:ran']);
    expect(finalOf(out).weights.equals(finalOf(straight).weights)).toBe(true);
  });
});

// Kills that do not depend on timing (a kill inside the Nth directory write, a kill after the
// lock is seen) and no kill at all: these tests run concurrently.
describe.concurrent('a torn checkpoint write, stage cache integrity and the run lock', () => {
  it('in the middle of writing a checkpoint: the torn write is swept and never loaded', async () => {
    const out = tempDir();
    // Directory writes: epoch checkpoints after baseline epochs 1 and 2, then the baseline
    // checkpoint itself (3rd): die inside it.
    const killed = await runCliAsync(['run', recipe, '--out', out, '--json', '--backend', BACKEND], { env: { CONDENSE_TEST_KILL_DURING_WRITE: '3' } });
    expect(killed.code).toBe(null);
    expect(readdirSync(join(out, 'stages')).some((n) => n.includes('.tmp-'))).toBe(true);
    const resumed = await runCliAsync(['run', recipe, '--out', out, '--json', '--backend', BACKEND, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(statuses(resumed.stdout)[0]).toBe('baseline:resumed');
    expect(readdirSync(join(out, 'stages')).some((n) => n.includes('.tmp-'))).toBe(false);
    expect(finalOf(out).weights.equals(reference.weights)).toBe(true);
  });

  it('a checkpoint with flipped bytes is reported, discarded and recomputed', async () => {
    // The reference run's directory: its weights are already in memory.
    const out = referenceOut;
    const shard = join(out, 'stages/03-finetune/model/group1-shard1of1.bin');
    const bytes = readFileSync(shard);
    bytes[100] ^= 0xff;
    writeFileSync(shard, bytes);
    const plan = await runCliAsync(['plan', recipe, '--out', out, '--backend', BACKEND]);
    expect(plan.stdout).toMatch(/finetune .* will run .*checkpoint invalid \(model\/group1-shard1of1.bin does not match its sha256/);
    const rerun = await runCliAsync(['run', recipe, '--out', out, '--json', '--backend', BACKEND]);
    expect(statuses(rerun.stdout)).toEqual(['baseline:cached', 'prune:cached', 'finetune:ran', 'quantize:cached', 'final:cached']);
    expect(finalOf(out).weights.equals(reference.weights)).toBe(true);
  });

  it('a second run into the same directory is refused naming the first one\'s pid', async () => {
    const out = tempDir();
    const child = spawn(process.execPath, [join(ROOT, 'bin/condense.mjs'), 'run', recipe, '--out', out, '--json', '--backend', BACKEND,
      '--set', 'stages.baseline.epochs=200'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CONDENSE_CACHE: tempCache() } });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const t0 = performance.now();
    const second = await runCliAsync(['run', recipe, '--out', out, '--backend', BACKEND]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`is in use by another condense run (pid ${child.pid})`);
    expect((performance.now() - t0) / 1000).toBeLessThan(15);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    // The dead owner's lock is taken over.
    const third = await runCliAsync(['run', recipe, '--out', out, '--backend', BACKEND]);
    expect(third.code, third.stderr).toBe(0);
  });
});
