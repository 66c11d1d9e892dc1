// Imports in src/ run one way: any cycle between files (type-only imports included, since they
// tie the files' designs together just the same) fails this test, naming the files in it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const SRC = join(ROOT, 'src');

/** Source files of a tree, tests and declaration files left out. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(e.name) && !/\.(test|d)\.ts$/.test(e.name) ? [path] : [];
  });
}

/** Files of the tree that `file` imports, by TypeScript's own reading of its import statements. */
function localImports(file: string, files: Set<string>): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles.map((i) => i.fileName).filter((s) => s.startsWith('.')).flatMap((spec) => {
    const base = resolve(dirname(file), spec);
    const target = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')].find((c) => files.has(c) && existsSync(c));
    return target ? [target] : [];
  });
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function importCycles(edges: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || edges.get(v)?.includes(v)) cycles.push(component.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('imports in src/', () => {
  it('form no cycle', () => {
    const files = sourceFiles(SRC);
    const set = new Set(files);
    const edges = new Map(files.map((f) => [f, localImports(f, set)]));
    expect(files.length).toBeGreaterThan(50);
    expect([...edges.values()].flat().length).toBeGreaterThan(files.length);
    expect(importCycles(edges).map((c) => c.map((f) => relative(SRC, f)).join(' → '))).toEqual([]);
  });

  it('the cycle finder finds cycles, type-only imports included', () => {
    const source = "import type { A } from './b.js';\nexport { c } from './c.js';\nconst d = await import('./d.js');\n";
    expect(ts.preProcessFile(source, true, true).importedFiles.map((i) => i.fileName)).toEqual(['./b.js', './c.js', './d.js']);
    const edges = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['d']], ['e', ['a']]]);
    expect(importCycles(edges)).toEqual([['a', 'b', 'c'], ['d']]);
    expect(importCycles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
  });
});
