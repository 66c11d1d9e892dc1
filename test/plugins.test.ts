import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecipeError } from '../src/errors.js';
import { loadRecipe, loadRecipeWithPlugins } from '../src/recipe/load.js';
import { builtinStages } from '../src/stages/builtin.js';
import { ROOT, runCliAsync, tempDir } from './helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'plugins');

/** Writes `files` (path → text) under a fresh directory and returns it. */
function project(files: Record<string, string>): string {
  const dir = tempDir('condense-plugins-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A recipe listing `plugins` as a block list (entry i on line 4 + i, column 5) and using `stageType`. */
function recipe(plugins: string[], stageType = 'count-params'): string {
  return ['version: 1', 'name: plugged', 'plugins:', ...plugins.map((p) => `  - ${p}`),
    'data: { dataset: mnist, limit: 300 }', 'model: { builtin: mlp, hidden: [8] }', 'stages:',
    '  - { name: baseline, type: train, epochs: 1 }', `  - { name: extra, type: ${stageType} }`, ''].join('\n');
}

/** A plugin module source with one stage of `type` whose properties are `properties` (JS source). */
function pluginSource(type: string, properties = '{}'): string {
  return `export default { stages: [{ type: '${type}', version: 1, description: 'A test stage.', properties: ${properties},
    changesModel: false, async run(ctx) { return { state: ctx.input, metrics: { seen: 1 } }; } }] };\n`;
}

/** Runs `condense validate FILE` and expects exit 2 with no stack trace; returns stderr. */
async function refused(file: string): Promise<string> {
  const r = await runCliAsync(['validate', file]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  return r.stderr;
}

// Each test has its own project directory: they run concurrently, overlapping the CLI calls.
describe.concurrent('plugins through the CLI', () => {
  it('examples/noise.yaml validates and runs with the stage of examples/noise-stage.mjs', async () => {
    const valid = await runCliAsync(['validate', 'examples/noise.yaml']);
    expect(valid.code, valid.stderr).toBe(0);
    expect(valid.stdout).toContain('examples/noise.yaml: valid');
    const out = tempDir();
    const run = await runCliAsync(['run', 'examples/noise.yaml', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const robustness = report.stages.find((s: { type: string }) => s.type === 'noise-accuracy');
    expect(robustness.metrics.noisyAccuracy).toBeGreaterThan(0.2);
    expect(robustness.metrics.noisyAccuracy).toBeLessThanOrEqual(robustness.metrics.accuracy + 0.05);
  });

  it('a stage defined only in a test fixture validates and runs, with its own parameters', async () => {
    expect((await runCliAsync(['validate', join(FIXTURES, 'count.yaml')])).code).toBe(0);
    const out = tempDir();
    const run = await runCliAsync(['run', join(FIXTURES, 'count.yaml'), '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const count = report.stages.find((s: { name: string }) => s.name === 'count');
    expect(count.type).toBe('count-params');
    expect(count.metrics.params).toBeGreaterThan(0);
    expect(count.metrics.countedParams).toBe(2 * count.metrics.params);
  });

  it('plan knows the plugin stage type', async () => {
    const r = await runCliAsync(['plan', join(FIXTURES, 'count.yaml'), '--out', tempDir(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).steps.map((s: { type: string }) => s.type)).toEqual(['train', 'count-params']);
  });

  it('a plugin from an installed package: resolved from the recipe\'s directory, through its ESM entry', async () => {
    const dir = project({
      'recipe.yaml': recipe(['condense-plugin-count'], 'pkg-stage'),
      'node_modules/condense-plugin-count/package.json': JSON.stringify({
        name: 'condense-plugin-count', version: '1.2.3', type: 'module',
        exports: { '.': { require: './index.cjs', import: './index.mjs' } },
      }),
      'node_modules/condense-plugin-count/index.mjs': pluginSource('pkg-stage'),
      'node_modules/condense-plugin-count/index.cjs': 'throw new Error("the CommonJS entry was loaded");\n',
    });
    const r = await runCliAsync(['validate', 'recipe.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const other = await runCliAsync(['validate', join(dir, 'recipe.yaml')], { cwd: tempDir() });
    expect(other.code, other.stderr).toBe(0);
  });

  it.each(['https://example.com/stage.mjs', 'http://example.com/stage.mjs', 'data:text/javascript,export%20default%20{}', 'file:///tmp/stage.mjs'])(
    'refuses the URL %s, located at the entry', async (url) => {
      const dir = project({ 'recipe.yaml': recipe([url]) });
      const stderr = await refused(join(dir, 'recipe.yaml'));
      expect(stderr).toContain(`recipe.yaml:4:5: plugin "${url}" is a URL (${url.slice(0, url.indexOf(':'))}:)`);
    });

  it('refuses a path outside the recipe\'s tree, also through a symlink', async () => {
    const dir = project({ 'outside/stage.mjs': pluginSource('count-params'), 'project/recipe.yaml': recipe(['../outside/stage.mjs', './link.mjs']) });
    symlinkSync(join(dir, 'outside', 'stage.mjs'), join(dir, 'project', 'link.mjs'));
    const stderr = await refused(join(dir, 'project', 'recipe.yaml'));
    const outside = realpathSync(join(dir, 'outside', 'stage.mjs'));
    expect(stderr).toContain(`recipe.yaml:4:5: plugin "../outside/stage.mjs" resolves outside the recipe's directory (${outside})`);
    expect(stderr).toContain(`recipe.yaml:5:5: plugin "./link.mjs" resolves outside the recipe's directory (${outside})`);
  });

  it('a missing file and an uninstalled package are located at their entries, with a hint', async () => {
    const dir = project({ 'recipe.yaml': recipe(['./missing.mjs', 'not-installed-plugin']) });
    const stderr = await refused(join(dir, 'recipe.yaml'));
    expect(stderr).toMatch(/recipe\.yaml:4:5: plugin file not found: \S*missing\.mjs \[plugins\]\n {2}hint: paths are relative to the file that lists them/);
    expect(stderr).toMatch(/recipe\.yaml:5:5: plugin package "not-installed-plugin" is not installed .*\n {2}hint: install it/);
    expect(stderr).toMatch(/> 4 \| {3}- \.\/missing\.mjs/);
  });

  it('a stage type registered twice is located: over a built-in and over another plugin', async () => {
    const dir = project({
      'recipe.yaml': recipe(['./prune.mjs', './a.mjs', './b.mjs'], 'twice'),
      'prune.mjs': pluginSource('prune'), 'a.mjs': pluginSource('twice'), 'b.mjs': pluginSource('twice'),
    });
    const stderr = await refused(join(dir, 'recipe.yaml'));
    expect(stderr).toMatch(/recipe\.yaml:4:5: plugin \S*prune\.mjs: stage type "prune" is already registered \(a built-in stage type\)/);
    expect(stderr).toMatch(/recipe\.yaml:6:5: plugin \S*b\.mjs: stage type "twice" is already registered by plugin \S*a\.mjs/);
  });

  it('a change to a module the plugin imports reruns its stages, saying the plugin changed', async () => {
    const dir = project({
      'recipe.yaml': recipe(['./entry.mjs'], 'helped'),
      'entry.mjs': `import { factor } from './lib/helper.mjs';\nexport default { stages: [{ type: 'helped', version: 1, description: 'x', properties: {}, changesModel: false, async run(ctx) { return { state: ctx.input, metrics: { factor } }; } }] };\n`,
      'lib/helper.mjs': 'export const factor = 1;\n',
    });
    const out = join(dir, 'run');
    const plan = async () => JSON.parse((await runCliAsync(['plan', join(dir, 'recipe.yaml'), '--out', out, '--backend', 'wasm', '--json'])).stdout).steps as Array<{ action: string; reason: string }>;
    expect((await runCliAsync(['run', join(dir, 'recipe.yaml'), '--out', out, '--backend', 'wasm'])).code).toBe(0);
    expect((await plan()).map((s) => s.action)).toEqual(['cached', 'cached']);
    writeFileSync(join(dir, 'lib/helper.mjs'), 'export const factor = 2;\n');
    const after = await plan();
    expect(after.map((s) => s.action)).toEqual(['cached', 'run']);
    expect(after[1]!.reason).toMatch(/^plugin changed \(sha256 [0-9a-f]{12}… → [0-9a-f]{12}…\)$/);
  });

  it('state codecs: a stage\'s codec over a built-in kind is located; one codec on a stage and on the module is fine', async () => {
    const codec = (kind: string) => `{ kind: '${kind}', empty: () => new Map(), encode: (m) => ({ json: [...m] }), decode: (j) => new Map(j) }`;
    const stage = (type: string, codecs: string) => `{ type: '${type}', version: 1, description: 'x', properties: {}, stateCodecs: [${codecs}], async run(ctx) { return { state: ctx.input, metrics: {} }; } }`;
    const dir = project({
      'recipe.yaml': recipe(['./clash.mjs', './shared.mjs'], 'shared-kind'),
      'clash.mjs': `export default { stages: [${stage('clash', codec('masks'))}] };\n`,
      'shared.mjs': `const tags = ${codec('tags')};\nexport default { stages: [${stage('shared-kind', 'tags')}], stateCodecs: [tags] };\n`,
    });
    const stderr = await refused(join(dir, 'recipe.yaml'));
    expect(stderr).toMatch(/recipe\.yaml:4:5: plugin \S*clash\.mjs: stage type "clash": model state kind "masks" is already registered/);
    expect(stderr).not.toMatch(/plugin \S*shared\.mjs/);
  });

  it.each([
    ['a wrong type name', '{ sigma: { type: "nubmer" } }', /invalid schema: properties\/sigma\/type must be equal to one of the allowed values \(got "nubmer"\)/],
    ['a typo\'d keyword (strict mode)', '{ sigma: { type: "number", minimun: 0 } }', /strict mode: unknown keyword: "minimun"/],
    ['a required field it does not declare', '{ sigma: { type: "number" } }, required: ["sigmaa"]', /required property "sigmaa" is not defined/],
  ])('an invalid schema fragment (%s) is an error naming the plugin and the stage type', async (_what, properties, message) => {
    const dir = project({ 'recipe.yaml': recipe(['./bad.mjs'], 'bad-schema'), 'bad.mjs': pluginSource('bad-schema', properties) });
    const stderr = await refused(join(dir, 'recipe.yaml'));
    expect(stderr).toMatch(/recipe\.yaml:4:5: plugin \S*bad\.mjs: stage type "bad-schema" has an invalid schema: /);
    expect(stderr).toMatch(message);
  });

  it('a module without a stages list, or one that throws on import, is located at its entry', async () => {
    const dir = project({ 'recipe.yaml': recipe(['./empty.mjs', './throws.mjs']), 'empty.mjs': 'export const nothing = 1;\n', 'throws.mjs': 'throw new Error("plugin boom");\n' });
    const stderr = await refused(join(dir, 'recipe.yaml'));
    expect(stderr).toMatch(/recipe\.yaml:4:5: plugin \S*empty\.mjs exports no `stages` list/);
    expect(stderr).toMatch(/recipe\.yaml:5:5: plugin \S*throws\.mjs failed to load: plugin boom/);
  });
});

describe('loadRecipeWithPlugins', () => {
  it('returns the registry with the plugin\'s type and what it loaded: spec, real path, sha256', async () => {
    const loaded = await loadRecipeWithPlugins(join(FIXTURES, 'count.yaml'), { registry: builtinStages() });
    expect(loaded.registry.get('count-params')?.type).toBe('count-params');
    expect(builtinStages().get('count-params')).toBeUndefined();
    const file = realpathSync(join(FIXTURES, 'count-stage.mjs'));
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
    // It imports no local module: its code is the one file.
    const codeSha256 = createHash('sha256').update(`count-stage.mjs ${sha256}`).digest('hex');
    expect(loaded.plugins).toEqual([{ spec: './count-stage.mjs', path: file, sha256, codeSha256 }]);
  });

  it('an entry of an extended recipe resolves against that recipe\'s file; the resolved recipe names it from the recipe\'s directory', async () => {
    const loaded = await loadRecipeWithPlugins(join(FIXTURES, 'extends-child.yaml'), { registry: builtinStages() });
    expect(loaded.plugins.map((p) => p.path)).toEqual([realpathSync(join(FIXTURES, 'lib', 'lib-stage.mjs'))]);
    expect(loaded.plugins[0]!.spec).toBe('./lib-stage.mjs');
    expect(loaded.recipe.plugins).toEqual(['./lib/lib-stage.mjs']);
    expect(loaded.recipe.stages.map((s) => s.type)).toEqual(['train', 'lib-measure']);
  });

  it('records an installed package\'s name and version', async () => {
    const dir = project({
      'recipe.yaml': recipe(["'@acme/stages'"], 'acme'),
      'node_modules/@acme/stages/package.json': JSON.stringify({ name: '@acme/stages', version: '0.4.0', main: 'main.mjs' }),
      'node_modules/@acme/stages/main.mjs': pluginSource('acme'),
    });
    const loaded = await loadRecipeWithPlugins(join(dir, 'recipe.yaml'), { registry: builtinStages() });
    expect(loaded.plugins[0]).toMatchObject({ spec: '@acme/stages', package: { name: '@acme/stages', version: '0.4.0' } });
    expect(loaded.plugins[0]!.path).toBe(realpathSync(join(dir, 'node_modules/@acme/stages/main.mjs')));
  });

  it('does not change the registry it is given', async () => {
    const base = builtinStages();
    await loadRecipeWithPlugins(join(FIXTURES, 'count.yaml'), { registry: base });
    expect(base.get('count-params')).toBeUndefined();
  });
});

describe('ajv strict mode on condense\'s own schema', () => {
  it('a typo\'d keyword in a stage registered in code is a thrown error, not a silently skipped check', () => {
    const registry = builtinStages().register({
      type: 'count-params', version: 1, description: 'A stage with a typo in its schema.',
      properties: { factor: { type: 'integer', minimun: 1 } },
      run: async (ctx) => ({ state: ctx.input, metrics: {} }),
    });
    let thrown: unknown;
    try {
      loadRecipe(join(FIXTURES, 'count.yaml'), { registry });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(RecipeError);
    expect(String((thrown as Error).message)).toMatch(/strict mode: unknown keyword: "minimun"/);
  });
});
