import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers.js';

const PACKAGE = '@acme/condense-presets';
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });

// The example package packed with `npm pack` and installed from the tarball into a fresh project,
// offline (it has no dependencies, so npm needs no registry), as a user would install it.
let project: string;
let installed: string;
beforeAll(() => {
  const base = tempDir('condense-presets-');
  const packed = npm(['pack', '--pack-destination', base, '--silent'], join(ROOT, 'examples', 'presets-package')).trim().split('\n').at(-1)!;
  project = join(base, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'project', version: '0.0.0', private: true }));
  npm(['install', '--offline', '--no-save', join(base, packed)], project);
  installed = join(project, 'node_modules', PACKAGE);
  writeFileSync(join(project, 'recipe.yaml'), [
    'version: 1', 'name: from-package', `extends: ["${PACKAGE}/prune-quantize"]`, 'vars: { sparsity: 0.6 }',
    'data: { limit: 800 }', 'stages:', '  - name: baseline', '    epochs: 1', '',
  ].join('\n'));
}, 120_000);

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('presets as npm packages', () => {
  it('extends resolves a package preset and run.lock.json records the package, version, path and hash of every source', () => {
    const out = join(project, 'runs', 'a');
    const r = runCli(['run', 'recipe.yaml', '--out', out], { cwd: project });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lock = JSON.parse(readFileSync(join(out, 'run.lock.json'), 'utf8'));
    const bySource = new Map(lock.sources.map((s: { path: string }) => [s.path, s]));
    expect([...bySource.keys()]).toEqual([
      'recipe.yaml',
      `node_modules/${PACKAGE}/presets/prune-quantize.yaml`,
      `node_modules/${PACKAGE}/presets/mnist-mlp.yaml`,
    ]);
    expect(bySource.get('recipe.yaml')).toEqual({ path: 'recipe.yaml', sha256: sha(join(project, 'recipe.yaml')) });
    expect(bySource.get(`node_modules/${PACKAGE}/presets/mnist-mlp.yaml`)).toEqual({
      path: `node_modules/${PACKAGE}/presets/mnist-mlp.yaml`, sha256: sha(join(installed, 'presets', 'mnist-mlp.yaml')),
      package: { name: PACKAGE, version: '1.2.0', path: 'presets/mnist-mlp.yaml' },
    });
    const resolved = readFileSync(join(out, 'recipe.resolved.yaml'), 'utf8');
    expect(resolved).toMatch(/sparsity: 0.6/);
    expect(resolved).toMatch(/hidden:\n\s+- 128\n\s+- 64/);
  });

  it('a mistake inside the package\'s preset is located in that file', () => {
    const file = join(installed, 'presets', 'mnist-mlp.yaml');
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, original.replace('batchSize: 128', 'batchSize: lots'));
      const line = original.split('\n').findIndex((l) => l.includes('batchSize: 128')) + 1;
      const r = runCli(['validate', '--recipe-only', 'recipe.yaml'], { cwd: project });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`node_modules/${PACKAGE}/presets/mnist-mlp.yaml:${line}:16`);
      expect(r.stderr).not.toMatch(/^recipe\.yaml:/m);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('an unknown preset of an installed package names the presets it has; a package not installed says so', () => {
    writeFileSync(join(project, 'typo.yaml'), `version: 1\nname: typo\nextends: ["${PACKAGE}/prune-quantise"]\n`);
    const r = runCli(['validate', '--recipe-only', 'typo.yaml'], { cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/typo\.yaml:3:11: .*has no preset "prune-quantise"/);
    expect(r.stderr).toContain('mnist-mlp, prune-quantize');
    writeFileSync(join(project, 'absent.yaml'), 'version: 1\nname: absent\nextends: ["@nobody/presets/x"]\n');
    const absent = runCli(['validate', '--recipe-only', 'absent.yaml'], { cwd: project });
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain('preset package "@nobody/presets" is not installed');
  });

  it('condense presets lists the built-in presets and the installed package\'s, with descriptions', () => {
    const r = runCli(['presets', '--json'], { cwd: project });
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Array<{ name: string; from: string; description: string }>;
    expect(list.find((p) => p.name === 'quickstart')).toMatchObject({ from: 'built-in', description: expect.stringContaining('LeNet-300-100') });
    expect(list.find((p) => p.name === `${PACKAGE}/mnist-mlp`)).toMatchObject({ from: `${PACKAGE}@1.2.0`, description: expect.stringContaining('Small MLP') });
    const text = runCli(['presets'], { cwd: project }).stdout;
    expect(text).toMatch(new RegExp(`^${PACKAGE}/prune-quantize\\s+${PACKAGE}@1\\.2\\.0\\s+mnist-mlp pruned`, 'm'));
  });
});
