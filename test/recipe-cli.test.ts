import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { requireSystemDep } from './helpers.js';

// These spawn the built CLI: run `npx tsc -p tsconfig.build.json` (npm run build) first.
const built = existsSync('dist/cli.js');
const condense = (...args: string[]) => spawnSync(process.execPath, ['bin/condense.mjs', ...args], { encoding: 'utf8', timeout: 20000 });
const BAD = 'test/fixtures/recipes/bad';

describe('condense CLI on recipes', () => {
  beforeEach((ctx) => requireSystemDep(ctx, 'the built CLI (dist/cli.js)', built, 'npm run build'));
  it('validate: exit 2, FILE:LINE:COL: message [keyword], hint and code frame on stderr', () => {
    const r = condense('validate', `${BAD}/unknown-stage-key.yaml`);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe([
      `${BAD}/unknown-stage-key.yaml:8:5: unknown key "sparsty" in stage "prune" [additionalProperties]`,
      '  hint: did you mean "sparsity"?',
      '  7 |     sparsity: 0.5',
      '> 8 |     sparsty: 0.9',
      '    |     ^',
      '  9 | ',
      '',
    ].join('\n'));
  });

  it('validate: every file, every problem; valid files say so', () => {
    const r = condense('validate', 'recipes/quickstart.yaml', `${BAD}/alias-bomb.yaml`, `${BAD}/dataset-typo.yaml`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('recipes/quickstart.yaml: valid\n');
    expect(r.stderr).toContain(`${BAD}/alias-bomb.yaml:3:8: recipe expands YAML aliases more than 100 times [aliases]`);
    expect(r.stderr).toContain(`${BAD}/dataset-typo.yaml:4:12: unknown dataset "mnst"; expected one of: mnist, idx, spam-assassin, cmudict-stress, csv, npy, images, jsonl [discriminator]\n  hint: did you mean "mnist"?`);
  });

  it('validate --json: [{file,line,col,path,message,hint}]', () => {
    const r = condense('validate', '--json', 'test/fixtures/recipes/extends/badvar.yaml');
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual([{
      file: 'test/fixtures/recipes/extends/parent-badvar.yaml', line: 7, col: 15, path: '/stages/0/sparsity',
      message: 'undefined variable "vars.nope"', hint: 'defined vars: other', keyword: 'vars',
    }]);
  });

  it('schema prints the checked-in recipe schema', () => {
    const r = condense('schema');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync('schemas/recipe.schema.json', 'utf8'));
  });

  it('resolve applies extends and --set, drops extends, and prints the same bytes twice', () => {
    const args = ['resolve', 'test/fixtures/recipes/extends/vars.yaml', '--set', 'vars.sparsity=0.25'];
    const a = condense(...args);
    const b = condense(...args);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toMatch(/^extends:/m);
    expect(a.stdout).toContain('    sparsity: 0.25\n');
  });
});
