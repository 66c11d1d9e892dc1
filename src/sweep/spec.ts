import { dirname, resolve } from 'node:path';
import { RecipeError } from '../errors.js';
import type { RecipeProblem } from '../errors.js';
import { codeFrame, locate, readRecipeSource } from '../recipe/source.js';
import type { RecipeSource } from '../recipe/source.js';
import { Prng } from '../util/prng.js';

/** One objective of a sweep: a final metric to maximise or minimise. */
export interface Objective {
  metric: string;
  goal: 'max' | 'min';
}

/** A sweep file read and checked. */
export interface SweepSpec {
  file: string;
  /** The recipe every trial runs, absolute. */
  recipe: string;
  /** `--set` arguments every trial gets before its own values. */
  set: string[];
  objectives: Objective[];
  trials: TrialSpec[];
}

/** One point of the space: the values it sets, by `--set` path. */
export interface TrialSpec {
  /** 0-based position in the sweep. */
  index: number;
  values: Record<string, unknown>;
  /** `trials/NNN-<values>`, relative to the sweep's directory. */
  dir: string;
}

/** A random space dimension: a list to choose from, or a numeric range. */
type Dimension = unknown[] | { min: number; max: number; integer?: boolean; log?: boolean };

const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$|^[A-Za-z_][A-Za-z0-9_-]*$/;
const OBJECTIVE = /^([A-Za-z][A-Za-z0-9_.]*):(max|min)$/;
const MAX_TRIALS = 10_000;

type Json = Record<string, unknown>;
const isPlain = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads a sweep file (see docs/recipe-language.md, "Sweeps"); every problem at once, located. */
export function readSweep(file: string): SweepSpec {
  const source = readRecipeSource(file);
  const value = source.value as Json;
  const problems: RecipeProblem[] = [];
  const at = (path: Array<string | number>, message: string, keyword: string, hint?: string) =>
    problems.push({ file: source.file, ...locate(source, path, { key: keyword === 'additionalProperties' }), path: '/' + path.join('/'), message, keyword, ...(hint ? { hint } : {}) });
  for (const key of Object.keys(value)) {
    if (!['version', 'recipe', 'grid', 'random', 'objectives', 'set', 'description'].includes(key)) at([key], `unknown key "${key}" in a sweep file`, 'additionalProperties', 'keys: version, recipe, grid or random, objectives, set, description');
  }
  if (value.version !== 1) at(['version'], 'a sweep file needs `version: 1`', 'version');
  if (typeof value.recipe !== 'string') at(['recipe'], '`recipe` must name the recipe file the trials run', 'recipe', 'e.g. recipe: ./recipe.yaml');
  const set = stringList(value.set, ['set'], at);
  const objectives = readObjectives(value.objectives, at);
  let points: Array<Record<string, unknown>> = [];
  if ((value.grid === undefined) === (value.random === undefined)) at([], 'a sweep needs exactly one of `grid` and `random`', 'space');
  else if (value.grid !== undefined) points = gridPoints(value.grid, at);
  else points = randomPoints(value.random, at);
  if (points.length > MAX_TRIALS) at([value.grid !== undefined ? 'grid' : 'random'], `the space has ${points.length} trials; the limit is ${MAX_TRIALS}`, 'size');
  if (problems.length) throw new RecipeError(problems.sort((a, b) => a.line - b.line || a.col - b.col).map((p) => ({ ...p, frame: codeFrame(source.text, p.line, p.col) })));
  const recipe = resolve(dirname(resolve(file)), value.recipe as string);
  return { file, recipe, set, objectives, trials: points.map((values, index) => ({ index, values, dir: `trials/${trialName(index, values)}` })) };
}

type At = (path: Array<string | number>, message: string, keyword: string, hint?: string) => void;

function stringList(v: unknown, path: string[], at: At): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || !s.includes('='))) {
    at(path, `\`${path.join('.')}\` must be a list of PATH=VALUE strings`, 'type', 'e.g. set: [data.limit=2000]');
    return [];
  }
  return v as string[];
}

function readObjectives(v: unknown, at: At): Objective[] {
  if (!Array.isArray(v) || v.length === 0) {
    at(['objectives'], '`objectives` must list at least one METRIC:max or METRIC:min', 'objectives', 'e.g. objectives: [accuracy:max, gzipBytes:min]');
    return [];
  }
  const out: Objective[] = [];
  v.forEach((o, i) => {
    const m = typeof o === 'string' ? OBJECTIVE.exec(o) : null;
    if (!m) at(['objectives', i], `objective ${JSON.stringify(o)} is not METRIC:max or METRIC:min`, 'objectives', 'e.g. accuracy:max, sizeBytes:min');
    else out.push({ metric: m[1]!, goal: m[2] as 'max' | 'min' });
  });
  return out;
}

function checkPath(path: string, where: Array<string | number>, at: At): boolean {
  if (PATH.test(path) && !path.split('.').some((s) => ['__proto__', 'constructor', 'prototype'].includes(s))) return true;
  at(where, `"${path}" is not a --set path (dotted keys, e.g. stages.prune.sparsity)`, 'path');
  return false;
}

/** Every combination of the grid's values, the first path varying slowest. */
function gridPoints(grid: unknown, at: At): Array<Record<string, unknown>> {
  if (!isPlain(grid) || Object.keys(grid).length === 0) {
    at(['grid'], '`grid` must map --set paths to lists of values', 'grid', 'e.g. grid: { vars.sparsity: [0.5, 0.9] }');
    return [];
  }
  let points: Array<Record<string, unknown>> = [{}];
  for (const [path, values] of Object.entries(grid)) {
    if (!checkPath(path, ['grid', path], at)) continue;
    if (!Array.isArray(values) || values.length === 0) {
      at(['grid', path], `grid.${path} must be a non-empty list of values`, 'grid');
      continue;
    }
    points = points.flatMap((p) => values.map((v) => ({ ...p, [path]: v })));
  }
  return points;
}

/** `samples` points drawn with a seeded generator: the same seed, the same trials. */
function randomPoints(random: unknown, at: At): Array<Record<string, unknown>> {
  if (!isPlain(random) || !Number.isInteger(random.samples) || (random.samples as number) < 1 || !isPlain(random.space)) {
    at(['random'], '`random` needs `samples` (an integer ≥ 1), `space` (--set paths to a list or {min, max}) and optionally `seed`', 'random',
      'e.g. random: { samples: 8, seed: 1, space: { vars.sparsity: { min: 0.5, max: 0.95 }, stages.finetune.epochs: [1, 2, 3] } }');
    return [];
  }
  const space = new Map<string, Dimension>();
  for (const [path, dim] of Object.entries(random.space)) {
    if (!checkPath(path, ['random', 'space', path], at)) continue;
    const range = isPlain(dim) && typeof dim.min === 'number' && typeof dim.max === 'number' && dim.min <= dim.max && (!dim.log || dim.min > 0);
    if ((Array.isArray(dim) && dim.length) || range) space.set(path, dim as Dimension);
    else at(['random', 'space', path], `random.space.${path} must be a non-empty list or { min, max } (optionally integer: true, log: true with min > 0)`, 'random');
  }
  // condense's seeded PRNG: a sweep draws the same trials on every machine.
  const prng = new Prng(Number.isInteger(random.seed) ? (random.seed as number) : 0);
  const next = () => prng.next();
  return Array.from({ length: random.samples as number }, () => {
    const point: Record<string, unknown> = {};
    for (const [path, dim] of space) point[path] = draw(dim, next);
    return point;
  });
}

function draw(dim: Dimension, next: () => number): unknown {
  if (Array.isArray(dim)) return dim[Math.floor(next() * dim.length)];
  const u = next();
  if (dim.integer) return Math.floor(dim.min + u * (dim.max - dim.min + 1));
  const x = dim.log ? Math.exp(Math.log(dim.min) + u * (Math.log(dim.max) - Math.log(dim.min))) : dim.min + u * (dim.max - dim.min);
  return Number(x.toPrecision(6));
}

/** `003-sparsity=0.7_epochs=2`: the index, then each value under its path's last key. */
export function trialName(index: number, values: Record<string, unknown>): string {
  const parts = Object.entries(values).map(([path, v]) => `${path.split('.').at(-1)}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const name = `${String(index + 1).padStart(3, '0')}-${parts.join('_')}`.replace(/[^A-Za-z0-9._=,+-]+/g, '-');
  return name.length > 120 ? name.slice(0, 120) : name;
}

/** The `--set` arguments of a trial: the sweep's own, then the trial's values as YAML flow values. */
export function trialSets(spec: Pick<SweepSpec, 'set'>, trial: TrialSpec): string[] {
  return [...spec.set, ...Object.entries(trial.values).map(([path, v]) => `${path}=${JSON.stringify(v)}`)];
}

export type { RecipeSource };
