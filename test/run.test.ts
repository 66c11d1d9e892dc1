import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { heldOutAccuracy, keptFloatKeys, loadExported, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';

const recipe = join(ROOT, 'test/fixtures/recipes/tiny.yaml');
const out = tempDir();
let first: ReturnType<typeof runCli>;

beforeAll(async () => {
  await useTestBackend();
  first = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm']);
});

describe('condense run (end to end, tiny recipe)', () => {
  it('exits 0 and prints only JSON events on stdout', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const events = first.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0].event).toBe('run-start');
    expect(events.at(-1).event).toBe('run-end');
    expect(events.filter((e) => e.event === 'stage-end').map((e) => `${e.name}:${e.status}`))
      .toEqual(['baseline:ran', 'prune:ran', 'finetune:ran', 'quantize:ran', 'final:ran']);
    expect(events.some((e) => e.event === 'progress' && e.name === 'prune' && e.sparsity > 0)).toBe(true);
  });

  it('writes the run directory docs/recipe-language.md describes', () => {
    for (const f of ['report.json', 'report.md', 'run.lock.json', 'recipe.resolved.yaml', 'model/model.json']) {
      expect(statSync(join(out, f)).size).toBeGreaterThan(0);
    }
    expect(readdirSync(join(out, 'stages'))).toEqual(['01-baseline', '02-prune', '03-finetune', '04-quantize', '05-final']);
    const lock = JSON.parse(readFileSync(join(out, 'run.lock.json'), 'utf8'));
    expect(lock).toMatchObject({ seed: 11, backend: { name: 'wasm' } });
    expect(lock.stages.map((s: { fingerprint: string }) => s.fingerprint)).toHaveLength(5);
    expect(readFileSync(join(out, 'recipe.resolved.yaml'), 'utf8')).toContain('sparsity: 0.8');
  });

  it('reports sizeBytes equal to the bytes in model/ and a sparse final model', () => {
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const bytes = readdirSync(join(out, 'model')).reduce((n, f) => n + statSync(join(out, 'model', f)).size, 0);
    expect(report.final.metrics.sizeBytes).toBe(bytes);
    expect(report.final.metrics.sparsity).toBeGreaterThan(0.75);
    expect(report.backend).toBe('wasm');
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/report.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.stages.map((s: { status: string }) => s.status)).toEqual(['ran', 'ran', 'ran', 'ran', 'ran']);
  });

  it('exports a model the stock loader reads: quantized per manifest, sparse, same predictions as condense', async () => {
    const { model, specs } = await loadExported(join(out, 'model'));
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    // Every weight uint8 but the 10-value output bias, which uint8 would make larger (the report names it).
    expect(specs.filter((s) => s.quantization?.dtype !== 'uint8').map((s) => s.name)).toEqual([...keptFloatKeys(report)]);
    expect([...keptFloatKeys(report)]).toEqual(['output/bias']);
    const kernel = model.getLayer('dense1').getWeights()[0]!.dataSync();
    expect(kernel.filter((v) => v === 0).length / kernel.length).toBeGreaterThanOrEqual(0.79);
    const accuracy = heldOutAccuracy(model, out);
    expect(accuracy).toBe(report.final.metrics.accuracy);
    expect(accuracy).toBeGreaterThan(0.6);
  });

  it('reruns from cache, and a changed later stage reruns only from there', () => {
    const again = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm']);
    expect(again.code).toBe(0);
    const statuses = (r: typeof again) => r.stdout.trim().split('\n').map((l) => JSON.parse(l))
      .filter((e) => e.event === 'stage-end').map((e) => e.status);
    expect(statuses(again)).toEqual(['cached', 'cached', 'cached', 'cached', 'cached']);
    const changed = runCli(['run', recipe, '--out', out, '--json', '--backend', 'wasm', '--set', 'stages.finetune.epochs=2']);
    expect(changed.code).toBe(0);
    expect(statuses(changed)).toEqual(['cached', 'cached', 'ran', 'ran', 'ran']);
    const plan = runCli(['plan', recipe, '--out', out, '--backend', 'wasm', '--json']);
    expect(JSON.parse(plan.stdout).steps.map((s: { action: string }) => s.action)).toEqual(['cached', 'cached', 'run', 'run', 'run']);
  });

  it('a gate that is not met exits 3 and names the gate', () => {
    const gated = runCli(['run', recipe, '--out', out, '--backend', 'wasm', '--set', 'gates.accuracy.min=0.999']);
    expect(gated.code).toBe(3);
    expect(gated.stderr).toContain('accuracy');
    expect(gated.stderr).toContain('min 0.999');
  });

  it('prints plain progress lines without a terminal', () => {
    const plain = runCli(['run', recipe, '--out', out, '--backend', 'wasm']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/\[1\/5\] baseline \(train\)/);
    expect(plain.stdout).toMatch(/done in .* s: accuracy 0\.\d{4}/);
  });
});

describe('condense validate', () => {
  it('exits 2 with FILE:LINE:COL for a bad value', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    const text = readFileSync(recipe, 'utf8').replace('sparsity: ${vars.sparsity}', 'sparsity: 1.5');
    writeFileSync(bad, text);
    const result = runCli(['validate', bad]);
    expect(result.code).toBe(2);
    const line = text.split('\n').findIndex((l) => l.includes('sparsity: 1.5')) + 1;
    expect(result.stderr).toContain(`${bad}:${line}:15: sparsity must be < 1 (got 1.5) [exclusiveMaximum]`);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
