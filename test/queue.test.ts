import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireSystemDep, ROOT, runCli, tempCache, tempDir } from './helpers.js';

// The quickstart these recipes extend ends with an optional browser evaluation: what this file
// tests does not need it (test/browser-eval.test.ts does), so its runs leave it out.
process.env.CONDENSE_BROWSER = 'off';

const SWEEP = join(ROOT, 'test/fixtures/sweep-queue/sweep.yaml');
const BIN = join(ROOT, 'bin', 'condense.mjs');
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
const started: ChildProcess[] = [];
/** Progress of the test on stderr with CONDENSE_TEST_VERBOSE=1 (it runs for a minute or more). */
const step = (what: string) => process.env.CONDENSE_TEST_VERBOSE && process.stderr.write(`[queue test] ${what}\n`);
afterAll(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** A process whose output is collected, resolving `until(text)` when its stdout contains text. */
function start(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, { env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { out.stdout += c; });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { out.stderr += c; });
  const until = async (test: () => boolean, what: string, ms = 180_000) => {
    const end = Date.now() + ms;
    while (!test()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`);
      if (child.exitCode !== null && !test()) throw new Error(`exited (${child.exitCode}) before ${what}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, out, until, exited };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const withoutTiming = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).filter(([k]) => !/latency|seconds/i.test(k)));

describe('condense sweep --queue (BullMQ on a local redis-server) with two workers, one SIGKILLed mid-trial', () => {
  it('completes, every trial has the metrics of a local sweep, and no trial ran twice to completion', async (ctx) => {
    requireSystemDep(ctx, 'redis-server', hasRedis, 'apt-get install redis-server');
    const port = await freePort();
    const redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    await redis.until(() => redis.out.stdout.includes('Ready to accept connections'), 'redis-server ready', 20_000);
    const url = `redis://127.0.0.1:${port}`;
    step('redis-server ready');

    const local = join(tempDir('condense-queue-'), 'local');
    const localRun = runCli(['sweep', SWEEP, '--out', local, '--workers', '2', '--backend', 'wasm'], { env: { CONDENSE_CACHE: tempCache() } });
    expect(localRun.code, localRun.stderr).toBe(0);
    step('local sweep done');

    const env = { CONDENSE_QUEUE_LOCK_MS: '3000' };
    const a = start(process.execPath, [BIN, 'worker', '--queue', url], env);
    const b = start(process.execPath, [BIN, 'worker', '--queue', url], env);
    await a.until(() => a.out.stdout.includes('taking trials'), 'worker a ready');
    await b.until(() => b.out.stdout.includes('taking trials'), 'worker b ready');
    step('workers ready');
    const out = join(tempDir('condense-queue-'), 'queued');
    const sweep = start(process.execPath, [BIN, 'sweep', SWEEP, '--out', out, '--queue', url, '--backend', 'wasm', '--json'], { CONDENSE_CACHE: tempCache() });

    // Kill worker a once its trial's fine-tune has written an epoch checkpoint.
    const running = () => /(\S+): running as pid (\d+)/.exec(a.out.stdout);
    await a.until(() => running() !== null, 'worker a running a trial');
    const [, trialDir, pid] = running()!;
    step('worker a runs a trial');
    await a.until(() => existsSync(join(trialDir!, 'stages', '03-finetune.epochs', 'epoch-0001')), 'an epoch checkpoint of the fine-tune');
    a.child.kill('SIGKILL');
    step('worker a killed');
    await a.exited;
    // Its trial process does not outlive it (or it would finish the trial a second time).
    const deadline = Date.now() + 10_000;
    while (alive(Number(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(Number(pid))).toBe(false);
    step('its trial process is gone');

    const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`sweep did not finish\nsweep: ${sweep.out.stdout}\n${sweep.out.stderr}\nworker a: ${a.out.stdout}\nworker b: ${b.out.stdout}\n${b.out.stderr}`)), 200_000));
    expect(await Promise.race([sweep.exited, timer]), sweep.out.stderr).toBe(0);
    step('queued sweep done');
    const queued = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    const reference = JSON.parse(readFileSync(join(local, 'sweep.json'), 'utf8'));
    expect(queued.trials.map((t: { status: string }) => t.status)).toEqual(['done', 'done', 'done']);
    queued.trials.forEach((t: { metrics: Record<string, unknown> }, i: number) => {
      expect(withoutTiming(t.metrics)).toEqual(withoutTiming(reference.trials[i].metrics));
    });
    expect(queued.pareto).toEqual(reference.pareto);
    // The killed trial was taken over and resumed from its epoch checkpoint, not rerun from scratch.
    const killed = queued.trials.find((t: { dir: string }) => join(out, t.dir) === trialDir);
    expect(killed.stages.finetune).toBe('resumed');
    // Each trial completed exactly once, across both workers' logs.
    const logs = a.out.stdout + b.out.stdout;
    for (const t of queued.trials) {
      expect(logs.split('\n').filter((l) => l.endsWith(`${join(out, t.dir)}: done`))).toHaveLength(1);
    }
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    redis.child.kill('SIGTERM');
  }, 400_000);
});
