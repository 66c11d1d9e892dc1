import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { RecipeProblem } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import type { JsonSchema } from '../stages/types.js';
import type { Locator, Segment } from './origins.js';

type Where = { file: string; line: number; col: number; path: string };

const compiled = new WeakMap<JsonSchema, ValidateFunction>();

/**
 * The one ajv configuration condense validates with: draft-07, all errors, defaults filled in, and
 * strict mode, so a typo'd keyword (`minimun`), a `required` naming an undeclared property or a
 * default ajv would ignore is an error when the schema is compiled, not a silently skipped check.
 */
function newAjv(): InstanceType<typeof Ajv.default> {
  return new Ajv.default({ allErrors: true, discriminator: true, useDefaults: true, strict: true, verbose: true });
}

/**
 * Compiles (once per schema object) an ajv validator. Throws when the schema itself is invalid:
 * for condense's own schema that is a bug; plugin fragments are checked first by {@link schemaFragmentError}.
 */
function validatorFor(schema: JsonSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = newAjv().compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * Why `schema` would not compile under condense's ajv configuration, or undefined when it does:
 * the first place it breaks the draft-07 meta-schema (`properties/sigma/type must be equal to one
 * of the allowed values (got "nubmer")`), else ajv's strict-mode complaint.
 */
export function schemaFragmentError(schema: JsonSchema): string | undefined {
  const ajv = newAjv();
  if (!ajv.validateSchema(schema)) {
    const first = ajv.errors?.[0];
    if (!first) return 'not a valid JSON Schema';
    const got = valueAt(schema, pathSegments(first.instancePath));
    return `${first.instancePath.slice(1) || 'schema'} ${first.message ?? 'is invalid'}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
  }
  try {
    ajv.compile(schema);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Recipe language versions this condense reads. */
const SUPPORTED_VERSIONS = [1];
const VERSION_HINT = 'add `version: 1` at the top; this condense reads recipe language version 1';
const versionMessage = (v: unknown) => `unsupported recipe version ${JSON.stringify(v)}; supported versions: ${SUPPORTED_VERSIONS.join(', ')}`;

/**
 * A `version` other than a supported one, checked before anything else: the rest of a recipe
 * written for another version would only produce noise. A missing version is left to the schema.
 */
export function versionProblem(value: Record<string, unknown>, source: Locator): RecipeProblem | undefined {
  if (!Object.prototype.hasOwnProperty.call(value, 'version') || SUPPORTED_VERSIONS.includes(value.version as number)) return undefined;
  return { ...source.at(['version']), path: '/version', keyword: 'version', message: versionMessage(value.version), hint: VERSION_HINT };
}

/** Splits an ajv instancePath (`/stages/1/sparsity`) into segments, array indices as numbers. */
function pathSegments(instancePath: string): Segment[] {
  if (!instancePath) return [];
  return instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * Validates a resolved recipe value in place (ajv fills defaults) and turns every ajv error into a
 * located problem: unknown keys point at the key, missing keys at their parent mapping.
 */
export function schemaProblems(value: unknown, schema: JsonSchema, source: Locator): RecipeProblem[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  const problems: RecipeProblem[] = [];
  const seen = new Set<string>();
  for (const err of withoutMismatchedBranches(validate.errors ?? [])) {
    const p = toProblem(err, value, source);
    if (!p) continue;
    const id = `${p.line}:${p.col}:${p.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push(p);
  }
  return problems;
}

/**
 * The errors of an `anyOf` (a number or a mapping) the user can act on: those of the branches whose
 * type the value has. The branches it is not of say only "must be a mapping"; when it is of none,
 * the `anyOf` error itself stays and names every type.
 */
function withoutMismatchedBranches(errors: ErrorObject[]): ErrorObject[] {
  const dropped: string[] = [];
  const keptAnyOf = new Set<ErrorObject>();
  for (const any of errors.filter((e) => e.keyword === 'anyOf')) {
    const branches = (any.schema as unknown[] | undefined)?.length ?? 0;
    const mismatched = errors.filter((e) => e.keyword === 'type' && e.instancePath === any.instancePath && new RegExp(`^${escape(any.schemaPath)}/\\d+/type$`).test(e.schemaPath));
    dropped.push(...mismatched.map((e) => `${e.instancePath} ${e.schemaPath}`));
    if (mismatched.length >= branches) keptAnyOf.add(any);
  }
  return errors.filter((e) => (e.keyword === 'anyOf' ? keptAnyOf.has(e) : !dropped.includes(`${e.instancePath} ${e.schemaPath}`)));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toProblem(err: ErrorObject, value: unknown, source: Locator): RecipeProblem | undefined {
  const path = pathSegments(err.instancePath);
  if (err.propertyName !== undefined && err.keyword !== 'propertyNames') return undefined;
  const field = fieldName(path);
  const got = JSON.stringify(valueAt(value, path));
  const at = (segments: Segment[], key = false) => {
    const { file, line, col } = source.at(segments, { key });
    return { file, line, col, path: '/' + segments.join('/') };
  };
  const make = (where: Where, message: string, hint?: string): RecipeProblem =>
    ({ ...where, message, keyword: err.keyword, ...(hint ? { hint } : {}) });
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((err.parentSchema?.properties as object | undefined) ?? {});
      return make(at([...path, key], true), `unknown key "${key}"${path.length ? ` in ${describe(path, value)}` : ''}`,
        didYouMean(key, known) ?? (known.length ? `allowed keys: ${known.join(', ')}` : undefined));
    }
    case 'required':
      if (path.length === 0 && params.missingProperty === 'version') {
        return make(at(path), `missing required key "version"; supported versions: ${SUPPORTED_VERSIONS.join(', ')}`, VERSION_HINT);
      }
      return make(at(path), `missing required key "${String(params.missingProperty)}"${path.length ? ` in ${describe(path, value)}` : ''}`);
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const got = String(valueAt(value, path));
      return make(at(path), `${field} must be one of: ${allowed.join(', ')} (got "${got}")`, didYouMean(got, allowed));
    }
    case 'const':
      if (path.length === 1 && path[0] === 'version') {
        return make(at(path), versionMessage(valueAt(value, path)), VERSION_HINT);
      }
      return make(at(path), `${field} must be ${JSON.stringify(params.allowedValue)}`);
    case 'discriminator':
      return discriminatorProblem(err, path, value, make, at);
    case 'propertyNames': {
      const name = String(params.propertyName);
      return make(at([...path, name], true), `invalid name "${name}" in ${field}: use letters, digits and _, not starting with a digit`);
    }
    case 'type': {
      const type = String(params.type);
      return make(at(path), `${field} must be ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type === 'object' ? 'mapping' : type === 'array' ? 'list' : type} (got ${got})`);
    }
    case 'pattern':
      // The string form of a per-layer target (`stage:<name>`) is one of three forms: say all three.
      if (String(params.pattern).startsWith('^stage:')) {
        return make(at(path), `${field} must be a number, a mapping by layer, or "stage:<name>" (got ${got})`, 'e.g. 0.8, {dense1: 0.9}, or stage:scan for the proposal of the sensitivity stage "scan"');
      }
      return make(at(path), `${field} ${got} does not match ${String(params.pattern)}`);
    case 'minItems':
    case 'maxItems': {
      const n = Number(params.limit);
      return make(at(path), `${field} must have at ${err.keyword === 'minItems' ? 'least' : 'most'} ${n} item${n === 1 ? '' : 's'}`);
    }
    case 'anyOf': {
      const types = ((err.schema as Array<{ type?: string }> | undefined) ?? []).map((b) => (b.type === 'object' ? 'mapping' : b.type === 'array' ? 'list' : String(b.type)));
      return make(at(path), `${field} must be ${types.map((t) => `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`).join(' or ')} (got ${got})`);
    }
    case 'oneOf':
    case 'if':
      return undefined;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'minLength':
    case 'maxLength':
      return make(at(path), `${field} ${err.message ?? 'is invalid'} (got ${got})`);
    default:
      return make(at(path), `${field} ${err.message ?? 'is invalid'}`);
  }
}

function discriminatorProblem(
  err: ErrorObject,
  path: Segment[],
  value: unknown,
  make: (where: Where, message: string, hint?: string) => RecipeProblem,
  at: (segments: Segment[], key?: boolean) => Where,
): RecipeProblem {
  const params = err.params as { tag: string; tagValue: unknown; error: string };
  const branches = ((err.parentSchema?.oneOf as Array<{ properties: Record<string, { const?: string }> }>) ?? [])
    .map((b) => b.properties[params.tag]?.const).filter((c): c is string => typeof c === 'string');
  const what = params.tag === 'type' ? 'stage type' : params.tag;
  if (params.error === 'tag' && params.tagValue === undefined) {
    // The tag is required (every branch requires it): say so in the keyword too.
    return { ...make(at(path), `missing required key "${params.tag}" in ${describe(path, value)}`, `one of: ${branches.join(', ')}`), keyword: 'required' };
  }
  const got = String(params.tagValue);
  return make(at([...path, params.tag]), `unknown ${what} "${got}"; expected one of: ${branches.join(', ')}`, didYouMean(got, branches));
}

/** The last key of a path, with list indices as `key[0]`. */
function fieldName(path: Segment[]): string {
  if (!path.length) return 'recipe';
  const last = path[path.length - 1]!;
  if (typeof last !== 'number') return last;
  return `${path.length > 1 ? String(path[path.length - 2]) : ''}[${last}]`;
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
function valueAt(value: unknown, path: readonly Segment[]): unknown {
  let v: unknown = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg as string];
  }
  return v;
}
