import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { RecipeProblem } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import type { JsonSchema } from '../stages/types.js';
import { locate } from './source.js';
import type { RecipeSource } from './source.js';

type Segment = string | number;

const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/** Compiles (once per schema object) an ajv validator: draft-07, all errors, defaults filled in. */
export function validatorFor(schema: JsonSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    const ajv = new Ajv.default({ allErrors: true, discriminator: true, useDefaults: true, strict: false });
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Splits an ajv instancePath (`/stages/1/sparsity`) into segments, array indices as numbers. */
export function pathSegments(instancePath: string): Segment[] {
  if (!instancePath) return [];
  return instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * Validates a resolved recipe value in place (ajv fills defaults) and turns every ajv error into a
 * located problem: unknown keys point at the key, missing keys at their parent mapping.
 */
export function schemaProblems(value: unknown, schema: JsonSchema, source: RecipeSource): RecipeProblem[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  const problems: RecipeProblem[] = [];
  const seen = new Set<string>();
  for (const err of validate.errors ?? []) {
    const p = toProblem(err, value, source);
    if (!p) continue;
    const id = `${p.line}:${p.col}:${p.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push(p);
  }
  return problems;
}

function toProblem(err: ErrorObject, value: unknown, source: RecipeSource): RecipeProblem | undefined {
  const path = pathSegments(err.instancePath);
  const field = path.length ? String(path[path.length - 1]) : 'recipe';
  const at = (segments: Segment[], key = false) => ({ ...locate(source, segments, { key }), path: '/' + segments.join('/') });
  const make = (where: { line: number; col: number; path: string }, message: string, hint?: string): RecipeProblem =>
    ({ file: source.file, ...where, message, keyword: err.keyword, ...(hint ? { hint } : {}) });
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((err.parentSchema?.properties as object | undefined) ?? {});
      return make(at([...path, key], true), `unknown key "${key}"${path.length ? ` in ${describe(path, value)}` : ''}`,
        didYouMean(key, known) ?? (known.length ? `allowed keys: ${known.join(', ')}` : undefined));
    }
    case 'required':
      return make(at(path), `missing required key "${String(params.missingProperty)}"${path.length ? ` in ${describe(path, value)}` : ''}`);
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const got = String(valueAt(value, path));
      return make(at(path), `${field} must be one of: ${allowed.join(', ')} (got "${got}")`, didYouMean(got, allowed));
    }
    case 'const':
      if (path.length === 1 && path[0] === 'version') {
        return make(at(path), `unsupported recipe version ${JSON.stringify(valueAt(value, path))}; supported versions: 1`,
          'set `version: 1`; this condense reads recipe language version 1');
      }
      return make(at(path), `${field} must be ${JSON.stringify(params.allowedValue)}`);
    case 'discriminator':
      return discriminatorProblem(err, path, value, make, at);
    case 'oneOf':
    case 'if':
      return undefined;
    default:
      return make(at(path), `${field} ${err.message ?? 'is invalid'}`);
  }
}

function discriminatorProblem(
  err: ErrorObject,
  path: Segment[],
  value: unknown,
  make: (where: { line: number; col: number; path: string }, message: string, hint?: string) => RecipeProblem,
  at: (segments: Segment[], key?: boolean) => { line: number; col: number; path: string },
): RecipeProblem {
  const params = err.params as { tag: string; tagValue: unknown; error: string };
  const branches = ((err.parentSchema?.oneOf as Array<{ properties: Record<string, { const?: string }> }>) ?? [])
    .map((b) => b.properties[params.tag]?.const).filter((c): c is string => typeof c === 'string');
  const what = params.tag === 'type' ? 'stage type' : params.tag;
  if (params.error === 'tag' && params.tagValue === undefined) {
    return make(at(path), `missing required key "${params.tag}" in ${describe(path, value)}`, `one of: ${branches.join(', ')}`);
  }
  const got = String(params.tagValue);
  return make(at([...path, params.tag]), `unknown ${what} "${got}"; expected one of: ${branches.join(', ')}`, didYouMean(got, branches));
}

/** `stage "prune"` for a stage path, else the dotted path. */
function describe(path: Segment[], value: unknown): string {
  if (path[0] === 'stages' && typeof path[1] === 'number') {
    const name = (valueAt(value, path.slice(0, 2)) as { name?: unknown } | undefined)?.name;
    const rest = path.slice(2).join('.');
    return `stage "${String(name ?? path[1])}"${rest ? ` (${rest})` : ''}`;
  }
  return path.join('.');
}

/** The value at a path inside a plain value, or undefined. */
export function valueAt(value: unknown, path: readonly Segment[]): unknown {
  let v: unknown = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg as string];
  }
  return v;
}
