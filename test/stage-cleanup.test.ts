// A stage's cleanup runs whether the stage succeeded or failed, and a user mistake a stage throws
// names the stage. Stages defined in a plugin file written by the test.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { ROOT, runCli, tempDir } from './helpers.js';

// Outside the repository 'condense' does not resolve: the plugin imports the built package by path.
const PLUGIN = `import { writeFileSync } from 'node:fs';
import { UsageError } from '${pathToFileURL(join(ROOT, 'dist/index.js')).href}';
const mark = (name) => writeFileSync(new URL('./cleaned-' + name, import.meta.url), 'yes');
const stage = (type, run) => ({ type, version: 1, description: 'x', properties: {}, run, cleanup: (ctx) => mark(ctx.name) });
export default { stages: [
  stage('fine', async (ctx) => ({ state: ctx.input, metrics: { fine: 1 } })),
  stage('mistake', async () => { throw new UsageError('the threshold is above every weight', { hint: 'lower it' }); }),
  stage('bug', async () => { throw new TypeError('x is undefined'); }),
] };
`;

function project(stages: string[]): string {
  const dir = tempDir('condense-cleanup-');
  writeFileSync(join(dir, 'plugin.mjs'), PLUGIN);
  writeFileSync(join(dir, 'recipe.yaml'), ['version: 1', 'name: cleanup', 'plugins: [./plugin.mjs]', 'data: { dataset: mnist, limit: 300 }',
    'model: { builtin: mlp, hidden: [8] }', 'stages:', ...stages.map((s) => `  - ${s}`), ''].join('\n'));
  return dir;
}

describe('stage cleanup and stage errors', () => {
  it('cleanup runs after a stage that succeeds', () => {
    const dir = project(['{ name: ok, type: fine }']);
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'run'), '--backend', 'wasm']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'cleaned-ok'), 'utf8')).toBe('yes');
  });

  it('cleanup runs after a user mistake, which exits 2 naming the stage', () => {
    const dir = project(['{ name: ok, type: fine }', '{ name: tune, type: mistake }']);
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'run'), '--backend', 'wasm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('condense: stage "tune": the threshold is above every weight\n  hint: lower it');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(join(dir, 'cleaned-tune'))).toBe(true);
  });

  it('cleanup runs after a bug in a stage, which exits 1 naming the stage', () => {
    const dir = project(['{ name: broken, type: bug }']);
    const r = runCli(['run', join(dir, 'recipe.yaml'), '--out', join(dir, 'run'), '--backend', 'wasm']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('condense: stage "broken" failed: x is undefined');
    expect(existsSync(join(dir, 'cleaned-broken'))).toBe(true);
  });
});
