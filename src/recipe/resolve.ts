import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.js';
import type { RecipeProblem } from '../errors.js';
import type { Locator } from './origins.js';
import { FORBIDDEN_KEYS } from './source.js';

type Json = Record<string, unknown>;
type Segment = string | number;

/** One `--set PATH=VALUE`, parsed. */
export interface Override {
  path: string[];
  value: unknown;
  text: string;
}

/**
 * Parses `--set` arguments: dotted paths, values as YAML flow values: `0.8` is a number, `[a, b]`
 * a list, `{ name: adam }` a mapping, anything else a string.
 */
export function parseOverrides(args: readonly string[]): Override[] {
  return args.map((text) => {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${text}: expected PATH=VALUE`, { hint: 'e.g. --set stages.prune.sparsity=0.8' });
    const path = text.slice(0, eq).split('.');
    if (path.some((s) => s === '' || FORBIDDEN_KEYS.has(s))) {
      throw new UsageError(`--set ${text}: invalid path "${text.slice(0, eq)}"`);
    }
    let value: unknown;
    try {
      value = parseYaml(text.slice(eq + 1), { schema: 'core' });
    } catch (err) {
      throw new UsageError(`--set ${text}: value is not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
    if (hasForbiddenKey(value)) throw new UsageError(`--set ${text}: value has a forbidden key (__proto__, constructor, prototype)`);
    return { path, value, text };
  });
}

function hasForbiddenKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasForbiddenKey);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => FORBIDDEN_KEYS.has(k) || hasForbiddenKey(v));
}

/**
 * Applies overrides in place and returns, for each, the path it set with stages addressed by
 * index (what locating a problem in the merged recipe needs). A path under `stages` addresses a stage by name (or by index);
 * missing mappings along the way are created.
 */
export function applyOverrides(recipe: Json, overrides: readonly Override[]): Segment[][] {
  const resolved: Segment[][] = [];
  for (const o of overrides) {
    const at: Segment[] = [];
    let target: unknown = recipe;
    for (let i = 0; i < o.path.length - 1; i++) {
      const seg = o.path[i]!;
      let next: unknown;
      if (Array.isArray(target)) {
        const index = stageIndex(target, seg);
        if (index < 0) {
          const names = target.map((s: Json) => String(s?.name ?? s?.type)).join(', ');
          throw new UsageError(`--set ${o.text}: no stage named "${seg}"`, { hint: `stages: ${names}` });
        }
        next = target[index];
        at.push(index);
      } else if (target && typeof target === 'object') {
        const obj = target as Json;
        if (obj[seg] === undefined || obj[seg] === null) obj[seg] = {};
        next = obj[seg];
        at.push(seg);
      }
      if (!next || typeof next !== 'object') throw new UsageError(`--set ${o.text}: "${o.path.slice(0, i + 1).join('.')}" is not a mapping`);
      target = next;
    }
    const last = o.path[o.path.length - 1]!;
    if (Array.isArray(target)) throw new UsageError(`--set ${o.text}: cannot replace a whole stage`);
    (target as Json)[last] = o.value;
    resolved.push([...at, last]);
  }
  return resolved;
}

function stageIndex(stages: unknown[], seg: string): number {
  const byName = stages.findIndex((s) => (s as Json)?.name === seg || ((s as Json)?.name === undefined && (s as Json)?.type === seg));
  if (byName >= 0) return byName;
  return /^\d+$/.test(seg) && Number(seg) < stages.length ? Number(seg) : -1;
}

const WHOLE = /^\$\{vars\.([A-Za-z_][A-Za-z0-9_]*)\}$/;
const EMBEDDED = /\$\{vars\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${vars.NAME}` references. A whole-value reference keeps the var's type; one inside a
 * longer string is spliced in as text. An undefined name is a problem located at the reference.
 */
export function interpolateVars(recipe: Json, source: Locator): RecipeProblem[] {
  const vars = (recipe.vars && typeof recipe.vars === 'object' ? recipe.vars : {}) as Json;
  const problems: RecipeProblem[] = [];
  const missing = (name: string, path: Segment[]) => {
    const defined = Object.keys(vars);
    problems.push({
      ...source.at(path), path: '/' + path.join('/'), keyword: 'vars',
      message: `undefined variable "vars.${name}"`,
      hint: defined.length ? `defined vars: ${defined.join(', ')}` : 'define it under `vars:` or pass --set vars.NAME=VALUE',
    });
  };
  const visit = (value: unknown, path: Segment[]): unknown => {
    if (typeof value === 'string') {
      const whole = WHOLE.exec(value);
      if (whole) {
        if (!(whole[1]! in vars)) missing(whole[1]!, path);
        return vars[whole[1]!];
      }
      return value.replace(EMBEDDED, (ref, name: string) => {
        if (!(name in vars)) {
          missing(name, path);
          return ref;
        }
        return String(vars[name]);
      });
    }
    if (Array.isArray(value)) return value.map((v, i) => visit(v, [...path, i]));
    if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (!(path.length === 0 && k === 'vars')) (value as Json)[k] = visit(v, [...path, k]);
      }
    }
    return value;
  };
  visit(recipe, []);
  return problems;
}

/** Gives every stage without a `name` its type as name. */
export function defaultStageNames(recipe: Json): void {
  if (!Array.isArray(recipe.stages)) return;
  for (const stage of recipe.stages as unknown[]) {
    if (stage && typeof stage === 'object' && !Array.isArray(stage)) {
      const s = stage as Json;
      if (s.name === undefined && typeof s.type === 'string') s.name = s.type;
    }
  }
}
