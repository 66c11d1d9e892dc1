import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers.js';

const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(ROOT, 'schemas/lock.schema.json'), 'utf8')));
const QUICK = ['--set', 'data.limit=800', '--set', 'stages.baseline.epochs=1', '--set', 'stages.prune.schedule.epochs=1', '--set', 'stages.finetune.epochs=1'];

let out: string;
let lock: Record<string, any>;
beforeAll(() => {
  out = join(tempDir(), 'run');
  const r = runCli(['run', '--out', out, '--backend', 'wasm', ...QUICK]);
  if (r.code !== 0 && r.code !== 3) throw new Error(r.stderr);
  lock = JSON.parse(readFileSync(join(out, 'run.lock.json'), 'utf8'));
});

describe('run.lock.json and schemas/lock.schema.json', () => {
  it('validates against the schema', () => {
    expect(validate(lock), JSON.stringify(validate.errors)).toBe(true);
  });

  it('has the versions, the backend and its build, the seed, the --set values and every stage fingerprint as its checkpoint records it', () => {
    expect(lock.lockVersion).toBe(1);
    expect(lock.versions.node).toBe(process.versions.node);
    expect(lock.versions.condense).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    expect(lock.backend.name).toBe('wasm');
    expect(lock.backend.build).toMatch(/wasm/);
    expect(lock.seed).toBe(42);
    expect(lock.recipe.set).toEqual(QUICK.filter((_, i) => i % 2 === 1));
    expect(lock.stages.map((s: { name: string }) => s.name)).toEqual(['baseline', 'prune', 'finetune', 'quantize', 'final']);
    for (const stage of lock.stages) {
      const manifest = JSON.parse(readFileSync(join(out, stage.dir, 'manifest.json'), 'utf8'));
      expect(stage.fingerprint).toBe(manifest.fingerprint);
    }
  });

  it('the schema refuses a lock without a seed, with a bad fingerprint or of an unknown version', () => {
    const { seed: _seed, ...noSeed } = lock;
    expect(validate(noSeed)).toBe(false);
    expect(validate({ ...lock, stages: [{ ...lock.stages[0], fingerprint: 'abc' }] })).toBe(false);
    expect(validate({ ...lock, lockVersion: 2 })).toBe(false);
  });
});
