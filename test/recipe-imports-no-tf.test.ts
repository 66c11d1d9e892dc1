// Loading a recipe must not load TensorFlow.js: walks the runtime import graph of
// src/recipe/load.ts (type-only imports are erased by tsc, so they are not followed) and fails
// with the import chain when any reachable file imports @tensorflow/*.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'src', 'recipe', 'load.ts');

// static `import … from`, `export … from`, side-effect `import '…'` and dynamic `import('…')`
const IMPORT = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|(?:^|[;\n])\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** True for `{ type A, type B }`: every named specifier is a type, so tsc drops the import. */
function onlyTypeSpecifiers(clause: string): boolean {
  const named = /^\{([^}]*)\}$/.exec(clause.trim());
  if (!named) return false;
  const parts = named[1]!.split(',').map((p) => p.trim()).filter(Boolean);
  return parts.length > 0 && parts.every((p) => p.startsWith('type '));
}

/** The module specifiers `file` imports at run time. */
function runtimeImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT)) {
    if (m[4] !== undefined) {
      if (m[2] || onlyTypeSpecifiers(m[3] ?? '')) continue;
      out.push(m[4]);
    } else out.push((m[5] ?? m[6])!);
  }
  return out;
}

function resolveLocal(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Breadth-first over local imports; the chain to the first file importing a forbidden package. */
function chainToForbidden(entry: string, forbidden: (spec: string) => boolean): string[] | undefined {
  const parent = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  const chain = (file: string) => {
    const files: string[] = [];
    for (let f: string | undefined = file; f; f = parent.get(f)) files.unshift(relative(ROOT, f));
    return files;
  };
  while (queue.length) {
    const file = queue.shift()!;
    for (const spec of runtimeImports(readFileSync(file, 'utf8'))) {
      if (forbidden(spec)) return [...chain(file), spec];
      if (!spec.startsWith('.')) continue;
      const target = resolveLocal(file, spec);
      if (target && !parent.has(target)) {
        parent.set(target, file);
        queue.push(target);
      }
    }
  }
  return undefined;
}

const isTf = (spec: string) => spec.startsWith('@tensorflow/');

describe('loading a recipe does not import TensorFlow.js', () => {
  it('no file reachable from src/recipe/load.ts imports @tensorflow/*', () => {
    expect(chainToForbidden(ENTRY, isTf)?.join(' -> ')).toBeUndefined();
  });

  it('the walk finds TF.js where it is imported (so a pass above means something)', () => {
    const chain = chainToForbidden(join(ROOT, 'src', 'backend', 'select.ts'), isTf);
    expect(chain).toEqual(['src/backend/select.ts', '@tensorflow/tfjs']);
    // through local imports: commands/doctor.ts has no TF.js import of its own
    expect(chainToForbidden(join(ROOT, 'src', 'commands', 'doctor.ts'), isTf))
      .toEqual(['src/commands/doctor.ts', 'src/backend/doctor.ts', '@tensorflow/tfjs']);
  });

  it('type-only imports are not followed, value imports are', () => {
    expect(runtimeImports("import type { A } from './a.js';\nimport { type B, type C } from './b.js';")).toEqual([]);
    expect(runtimeImports("import { type B, c } from './b.js';\nexport { d } from './d.js';\nimport './e.js';\nawait import('./f.js');"))
      .toEqual(['./b.js', './d.js', './e.js', './f.js']);
  });
});
