import type { SourceLocation } from '../errors.js';
import { locate } from './source.js';
import type { RecipeSource } from './source.js';

/** One step of a path inside a recipe value: a mapping key or a list index. */
export type Segment = string | number;

/** Where a value of a (merged) recipe came from: a file and the value's path inside that file. */
export interface Origin {
  source: RecipeSource;
  path: Segment[];
}

/** Anything that can say where a recipe path sits in the files it was read from. */
export interface Locator {
  /** The file, line and column of the value at `path` (or of its key, with `key: true`). */
  at(path: readonly Segment[], options?: { key?: boolean }): SourceLocation;
}

const keyOf = (path: readonly Segment[]) => path.map(String).join('\u0000');

/**
 * For every value path of a recipe, the file that contributed it. A path without an entry (a
 * default, a `--set` value on a new key) is located at its nearest ancestor that has one.
 */
export class Origins implements Locator {
  private readonly map = new Map<string, Origin>();

  /** @param root the recipe being run: the fallback for paths no file contributed. */
  constructor(readonly root: RecipeSource) {}

  /** Origins of a single file's value: every path comes from that file, at the same path. */
  static of(source: RecipeSource, value: unknown = source.value): Origins {
    const origins = new Origins(source);
    walk(value, [], (path) => origins.set(path, { source, path }));
    return origins;
  }

  set(path: readonly Segment[], origin: Origin): void {
    this.map.set(keyOf(path), origin);
  }

  get(path: readonly Segment[]): Origin | undefined {
    return this.map.get(keyOf(path));
  }

  /** Copies the origins of `value` (found at `from` in `other`) to `to` in this map. */
  copy(other: Origins, from: readonly Segment[], value: unknown, to: readonly Segment[]): void {
    walk(value, [], (rel) => {
      const origin = other.get([...from, ...rel]);
      if (origin) this.set([...to, ...rel], origin);
    });
  }

  /** The origin of the nearest ancestor of `path` (or itself) and the rest of the path below it. */
  resolve(path: readonly Segment[]): { origin: Origin; rest: Segment[] } {
    for (let n = path.length; n >= 0; n--) {
      const origin = this.get(path.slice(0, n));
      if (origin) return { origin, rest: path.slice(n) };
    }
    return { origin: { source: this.root, path: [] }, rest: [...path] };
  }

  at(path: readonly Segment[], options: { key?: boolean } = {}): SourceLocation {
    const { origin, rest } = this.resolve(path);
    const pos = locate(origin.source, [...origin.path, ...rest], options);
    return { file: origin.source.file, line: pos.line, col: pos.col };
  }
}

/** Calls `visit` on the path of every value inside `value`, the value itself first. */
function walk(value: unknown, path: Segment[], visit: (path: Segment[]) => void): void {
  visit(path);
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i], visit));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, [...path, k], visit);
  }
}
