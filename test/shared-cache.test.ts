import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliAsync, tempCache, tempDir } from './helpers.js';

// The quickstart these recipes extend ends with an optional browser evaluation: what this file
// tests does not need it (test/browser-eval.test.ts does), so its runs leave it out.
process.env.CONDENSE_BROWSER = 'off';

const events = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l));
const statuses = (stdout: string) => events(stdout).filter((e) => e.event === 'stage-end').map((e) => e.status);

// The tests use caches and directories of their own: they run concurrently.
describe.concurrent('one stage cache for all run directories', () => {
  it('two quickstart runs into different --out: the second reports every stage cached, and its run directory is complete', async () => {
    const dir = tempDir();
    const env = { CONDENSE_CACHE: tempCache() };
    // The quickstart recipe on a twelfth of its digits: what is cached matters here, not how well it learns.
    const quick = ['--backend', 'wasm', '--json', '--set', 'data.limit=800', '--set', 'gates.accuracy.min=0'];
    const first = await runCliAsync(['run', '--out', join(dir, 'a'), ...quick], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(statuses(first.stdout)).toEqual(['ran', 'ran', 'ran', 'ran', 'ran']);
    const second = await runCliAsync(['run', '--out', join(dir, 'b'), ...quick], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(statuses(second.stdout)).toEqual(['cached', 'cached', 'cached', 'cached', 'cached']);
    const start = events(second.stdout).find((e) => e.event === 'run-start');
    expect(start.stages.map((s: { reason: string }) => s.reason)).toEqual(Array(5).fill('in the shared stage cache'));
    // The second directory holds every checkpoint itself, and the same final metrics.
    expect(readdirSync(join(dir, 'b', 'stages'))).toEqual(readdirSync(join(dir, 'a', 'stages')));
    const report = (d: string) => JSON.parse(readFileSync(join(dir, d, 'report.json'), 'utf8'));
    expect(report('b').final.metrics.accuracy).toBe(report('a').final.metrics.accuracy);
    const ls = await runCliAsync(['cache', 'ls', '--json'], { env });
    expect(JSON.parse(ls.stdout).entries.map((e: { stage: string }) => e.stage).sort()).toEqual(['baseline', 'final', 'finetune', 'prune', 'quantize']);
  });

  it('a corrupted cache entry is recomputed, not served; --no-cache neither reads nor writes it', async () => {
    const dir = tempDir();
    const env = { CONDENSE_CACHE: tempCache() };
    const args = (out: string) => ['run', '--out', join(dir, out), '--backend', 'wasm', '--json', '--set', 'data.limit=800', '--set', 'gates.accuracy.min=0'];
    expect((await runCliAsync(args('a'), { env })).code).toBe(0);
    const entries = JSON.parse((await runCliAsync(['cache', 'ls', '--json'], { env })).stdout).entries as Array<{ stage: string; dir: string }>;
    const finetune = entries.find((e) => e.stage === 'finetune')!;
    const record = join(finetune.dir, 'record.json');
    writeFileSync(record, readFileSync(record, 'utf8').replace('"finetune"', '"fine-tune"'));
    expect(statuses((await runCliAsync(args('b'), { env })).stdout)).toEqual(['cached', 'cached', 'ran', 'cached', 'cached']);
    expect(statuses((await runCliAsync([...args('c'), '--no-cache'], { env })).stdout)).toEqual(['ran', 'ran', 'ran', 'ran', 'ran']);
  });

  it('cache prune --older-than removes stages no run used for that long', async () => {
    const env = { CONDENSE_CACHE: tempCache() };
    expect((await runCliAsync(['run', '--out', join(tempDir(), 'a'), '--backend', 'wasm', '--set', 'data.limit=800', '--set', 'gates.accuracy.min=0'], { env })).code).toBe(0);
    expect((await runCliAsync(['cache', 'prune', '--older-than', '30d'], { env })).stdout).toMatch(/^removed 0 stage\(s\)/);
    const pruned = await runCliAsync(['cache', 'prune', '--older-than', '0s'], { env });
    expect(pruned.stdout).toMatch(/^removed 5 stage\(s\)/);
    expect(JSON.parse((await runCliAsync(['cache', 'ls', '--json'], { env })).stdout).entries).toEqual([]);
    expect((await runCliAsync(['cache', 'prune', '--older-than', 'a month'], { env })).code).toBe(2);
  });
});
