// A run that stops (a stage throws, or SIGINT) still leaves report.json, report.md and report.html
// of what finished, marked failed / interrupted, and `condense report` / `compare` work on it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers.js';

const BACKEND = process.env.CONDENSE_TEST_BACKEND ?? 'wasm';
const tiny = join(ROOT, 'test/fixtures/recipes/tiny.yaml');
const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(ROOT, 'schemas/report.schema.json'), 'utf8')));
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));

/** A recipe whose third stage is a plugin stage that throws. */
function failingRecipe(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'boom.mjs'), `export default { stages: [{ type: 'boom', version: 1, description: 'Throws.', properties: {}, changesModel: false,
  async run() { throw new Error('deliberately broken'); } }] };\n`);
  writeFileSync(join(dir, 'fail.yaml'), `version: 1
name: failing
seed: 3
plugins: [./boom.mjs]
data: { dataset: mnist, testFraction: 0.25, limit: 600 }
model: { builtin: mlp, hidden: [16] }
stages:
  - { name: baseline, type: train, epochs: 1, batchSize: 64 }
  - { name: quantize, type: quantize, weights: { dtype: uint8 } }
  - { name: broken, type: boom }
  - { name: final, type: evaluate }
gates:
  accuracy: { min: 0.1 }
`);
  return join(dir, 'fail.yaml');
}

/** Runs the tiny recipe and sends SIGINT once the prune stage reports progress (baseline done); its exit code and --json events. */
function runAndInterrupt(out: string): Promise<{ code: number | null; events: Array<{ event: string; name?: string; status?: string }> }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/condense.mjs'), 'run', tiny, '--out', out, '--json', '--backend', BACKEND], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    let sent = false;
    const events: Array<{ event: string; name?: string; status?: string }> = [];
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const e = JSON.parse(line);
        events.push(e);
        if (!sent && e.event === 'progress' && e.name === 'prune') {
          sent = true;
          child.kill('SIGINT');
        }
      }
    });
    child.on('exit', (code) => resolve({ code, events }));
  });
}

const failedOut = tempDir();
const interruptedOut = tempDir();
let failedRun: ReturnType<typeof runCli>;
let interrupted: Awaited<ReturnType<typeof runAndInterrupt>>;

beforeAll(async () => {
  failedRun = runCli(['run', failingRecipe(), '--out', failedOut, '--backend', BACKEND]);
  interrupted = await runAndInterrupt(interruptedOut);
}, 120_000);

describe('a run that stops leaves a report of what finished', () => {
  it('a stage that throws: exit 1, report.json marked failed with the stage, the error and what did not run', () => {
    expect(failedRun.code, failedRun.stderr).toBe(1);
    expect(failedRun.stderr).toContain('stage "broken" failed: deliberately broken');
    const report = readReport(failedOut);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.status).toBe('failed');
    expect(report.failure).toEqual({ stage: 'broken', message: 'stage "broken" failed: deliberately broken', notRun: ['broken', 'final'] });
    expect(report.stages.map((s: { name: string }) => s.name)).toEqual(['baseline', 'quantize']);
    expect(report.final.metrics.sizeBytes).toBe(report.stages[1].metrics.sizeBytes);
    expect(report.gates).toEqual([]);
    expect(report.final.layers).toBeUndefined();
    expect(existsSync(join(failedOut, 'model'))).toBe(false);
  });

  it('SIGINT: exit 130, report.json marked interrupted during the running stage', () => {
    expect(interrupted.code).toBe(130);
    const report = readReport(interruptedOut);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.status).toBe('interrupted');
    // The signal lands during prune, or, on a slow machine, once a later stage has started: the
    // report names the stage that was running, and lists exactly the stages that ended before it.
    const stages = ['baseline', 'prune', 'finetune', 'quantize', 'final'];
    const ended = interrupted.events.filter((e) => e.event === 'stage-end').map((e) => `${e.name}:${e.status}`);
    const running = stages[ended.length]!;
    expect(ended.length).toBeGreaterThanOrEqual(1);
    expect(report.failure).toEqual({ stage: running, message: 'interrupted by SIGINT; rerun with --resume to continue', notRun: stages.slice(ended.length) });
    expect(report.stages.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual(ended);
  });

  it('condense report re-renders both, saying how they ended, and compare reads them beside a complete run', () => {
    const stopped = readReport(interruptedOut).failure.stage as string;
    for (const [dir, words] of [[failedOut, 'FAILED at stage &quot;broken&quot;'], [interruptedOut, `INTERRUPTED during stage &quot;${stopped}&quot;`]] as const) {
      const before = readFileSync(join(dir, 'report.html'), 'utf8');
      writeFileSync(join(dir, 'report.html'), 'stale');
      const again = runCli(['report', dir]);
      expect(again.code, again.stderr).toBe(0);
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      expect(html).toBe(before);
      expect(html).toContain(`This run ${words}`);
      expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain('Not checked: the run did not finish.');
    }
    const compared = runCli(['compare', failedOut, interruptedOut]);
    expect(compared.code, compared.stderr).toBe(0);
    expect(compared.stdout).toContain('not checked: run FAILED at stage "broken"');
    expect(compared.stdout).toContain(`not checked: run INTERRUPTED during stage "${stopped}"`);
  });

  it('a rerun that completes replaces the stopped report', () => {
    const rerun = runCli(['run', tiny, '--out', interruptedOut, '--backend', BACKEND, '--resume']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = readReport(interruptedOut);
    expect(report.status).toBe('complete');
    expect(report.failure).toBeUndefined();
    expect(report.stages).toHaveLength(5);
  });
});
