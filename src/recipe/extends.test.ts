import { describe, expect, it } from 'vitest';
import type { RecipeProblem } from '../errors.js';
import { cloneJson, mergeLayers } from './extends.js';
import { Origins } from './origins.js';
import { parseRecipeText } from './source.js';

const layer = (file: string, text: string) => {
  const source = parseRecipeText(file, new TextEncoder().encode(text));
  return { value: source.value as Record<string, unknown>, origins: Origins.of(source) };
};

describe('mergeLayers', () => {
  it('merges mappings deeply, replaces lists, and records which file each value came from', () => {
    const problems: RecipeProblem[] = [];
    const base = layer('base.yaml', 'a: { x: 1, y: [1, 2] }\nb: 2\n');
    const over = layer('over.yaml', 'a: { y: [3] }\nc: 3\n');
    const merged = mergeLayers(base, over, problems);
    expect(problems).toEqual([]);
    expect(merged.value).toEqual({ a: { x: 1, y: [3] }, b: 2, c: 3 });
    expect(merged.origins.at(['a', 'x'])).toEqual({ file: 'base.yaml', line: 1, col: 9 });
    expect(merged.origins.at(['a', 'y', 0])).toEqual({ file: 'over.yaml', line: 1, col: 10 });
    expect(merged.origins.at(['c'])).toEqual({ file: 'over.yaml', line: 2, col: 4 });
  });

  it('never copies __proto__ / constructor keys, even when a value holds them as own properties', () => {
    const problems: RecipeProblem[] = [];
    const hostile = JSON.parse('{"__proto__": {"polluted": 1}, "a": {"constructor": {"prototype": {"polluted": 1}}}}');
    const base = { value: { a: {} }, origins: new Origins(parseRecipeText('b.yaml', new TextEncoder().encode('a: {}\n'))) };
    const merged = mergeLayers(base, { value: hostile, origins: base.origins }, problems);
    expect(Object.keys(merged.value)).toEqual(['a']);
    expect(Object.getPrototypeOf(merged.value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const copy = cloneJson(hostile) as Record<string, unknown>;
    expect(Object.keys(copy)).toEqual(['a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('copies values instead of sharing them (YAML aliases produce shared objects)', () => {
    const problems: RecipeProblem[] = [];
    const base = layer('base.yaml', 'x: &o { k: 1 }\ny: *o\n');
    const merged = mergeLayers({ value: {}, origins: base.origins }, base, problems);
    (merged.value.x as Record<string, unknown>).k = 2;
    expect(merged.value.y).toEqual({ k: 1 });
  });
});
