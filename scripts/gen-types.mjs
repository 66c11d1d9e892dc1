// @ts-check
// A small JSON Schema (draft-07) → TypeScript emitter for the recipe schema, so the types the code
// uses cannot drift from the schema ajv validates with. Called by scripts/gen-schema.mjs, which
// writes src/recipe/schema-types.generated.ts (and checks it with `--check`).
//
// It covers what the recipe schema uses: objects (properties, required, additionalProperties),
// enum, const, type (string, number, integer, boolean, null, array, object, or a list of them),
// items, oneOf/anyOf (→ union), allOf (→ intersection), local $ref (#/definitions, #/$defs), and
// descriptions and defaults (→ TSDoc). Validation-only keywords (pattern, minimum, dependencies,
// propertyNames, ...) have no TypeScript counterpart and are ignored.
//
// The types describe a *resolved* recipe, the value the code sees after loading: ajv runs with
// useDefaults, so a property with a `default` is always present and is emitted as required.
// RESOLVED below lists what the loader does besides ajv.

/** @typedef {Record<string, any>} Schema */
/** @typedef {(string | number)[]} Path */

/**
 * Steps of the loader outside ajv that change the shape of the value, by schema path
 * ('*' matches one segment).
 * @type {Array<{ at: string[]; filled?: string[]; stripped?: string[]; why: string }>}
 */
const RESOLVED = [
  { at: ['properties', 'stages', 'items', 'oneOf', '*'], filled: ['name'], why: 'resolve.defaultStageNames names every stage (default: its type)' },
  { at: ['properties', 'stages', 'items', 'oneOf', '*'], stripped: ['remove'], why: 'extends strips the `remove` merge directive' },
  { at: [], stripped: ['extends'], why: 'extends merges the presets and removes `extends`' },
];

/**
 * Names of declared types by schema path. A function gets the schema and returns the name.
 * Objects not named here are emitted inline; a nested object of a stage named `<Stage><Key>`.
 * @type {Array<[string[], string | ((s: Schema, path: Path, root: Schema) => string)]>}
 */
const NAMES = [
  [[], 'Recipe'],
  [['properties', 'data'], 'DataSpec'],
  [['properties', 'data', 'oneOf', '*'], (s) => `${pascal(String(s.properties?.dataset?.const))}DataSpec`],
  [['properties', 'model'], 'ModelSpec'],
  [['properties', 'gates', 'additionalProperties'], 'Gate'],
  [['properties', 'stages', 'items'], 'Stage'],
  [['properties', 'stages', 'items', 'oneOf', '*'], (s) => `${pascal(String(s.properties?.type?.const))}Stage`],
  // Shared by every training stage: one name, not one per stage.
  [['properties', 'stages', 'items', 'oneOf', '*', 'properties', 'optimizer'], 'OptimizerSpec'],
  [['properties', 'stages', 'items', 'oneOf', '*', 'properties', '*'], (_s, path, root) => {
    const stage = root.properties.stages.items.oneOf[path[4]].properties.type.const;
    return `${pascal(String(stage))}${pascal(String(path[6]))}`;
  }],
];

const HEADER = `// GENERATED FILE, DO NOT EDIT. Made from the recipe JSON Schema (the stage registry,
// DATASET_SCHEMAS, MODEL_SCHEMA) by scripts/gen-types.mjs. Regenerate with
//   npm run gen:schema        (= npx tsc -p tsconfig.build.json && node scripts/gen-schema.mjs)
// and commit the result; \`node scripts/gen-schema.mjs --check\` and test/recipe-generated.test.ts
// fail when it is stale.
//
// These are the types of a *resolved* recipe: ajv fills defaults (useDefaults), so a field with a
// schema default is required here; every stage has its \`name\` (the loader defaults it to the type);
// the merge-only \`extends\` and \`remove\` are gone.
`;

/**
 * TypeScript declarations for the resolved recipe described by `schema`. Deterministic: same
 * schema, same text.
 * @param {Schema} schema
 * @returns {string}
 */
export function recipeTypesSource(schema) {
  const emitter = new Emitter(schema);
  emitter.declare('Recipe', schema, []);
  return HEADER + emitter.declarations.map((d) => '\n' + d.text).join('');
}

class Emitter {
  /** @param {Schema} root */
  constructor(root) {
    this.root = root;
    /** @type {Array<{ name: string; key: string; text: string }>} */
    this.declarations = [];
    /** @type {Map<string, string>} structural key → name */
    this.byKey = new Map();
  }

  /**
   * Declares `name` for `schema` (once per structure) and returns the name to use.
   * @param {string} name @param {Schema} schema @param {Path} path
   */
  declare(name, schema, path) {
    const key = structuralKey(schema);
    const known = this.byKey.get(key);
    if (known) return known;
    const clash = this.declarations.find((d) => d.name === name);
    if (clash) {
      throw new Error(`gen-types: two different schemas want the type name ${name} (at /${path.join('/')}); add a name to NAMES`);
    }
    const decl = { name, key, text: '' };
    this.byKey.set(key, name);
    this.declarations.push(decl);
    const doc = docLines([schema.title, schema.description].filter(Boolean).join('. '), undefined, '');
    const body = this.expr(schema, path, '', true);
    decl.text = `${doc}export type ${name} =${body.startsWith('\n') ? '' : ' '}${body};\n`;
    return name;
  }

  /**
   * The type expression of `schema` at `path`, indented by `indent`.
   * @param {Schema | boolean} schema @param {Path} path @param {string} indent
   * @param {boolean} [declaring] true when this is the body of a declared name
   * @returns {string}
   */
  expr(schema, path, indent, declaring = false) {
    if (schema === true || schema === undefined) return 'unknown';
    if (schema === false) return 'never';
    if (!declaring) {
      const name = nameAt(schema, path, this.root);
      if (name) return this.declare(name, schema, path);
    }
    if (typeof schema.$ref === 'string') return this.ref(schema.$ref);
    if (schema.const !== undefined) return literal(schema.const);
    if (Array.isArray(schema.enum)) return schema.enum.map(literal).join(' | ');
    for (const kw of ['oneOf', 'anyOf', 'allOf']) {
      if (!Array.isArray(schema[kw])) continue;
      const parts = schema[kw].map((/** @type {Schema} */ b, /** @type {number} */ i) => this.expr(b, [...path, kw, i], indent));
      const { [kw]: _, discriminator: _d, required: _r, description: _de, title: _t, ...rest } = schema;
      const base = rest.properties ? this.expr(rest, path, indent, true) : undefined;
      const joined = kw === 'allOf'
        ? parts.map(paren).join(' & ')
        : (parts.length > 2 && parts.every((p) => /^\w+$/.test(p)) ? parts.map((p) => `\n${indent}  | ${p}`).join('') : parts.map(paren).join(' | '));
      return base ? `${base} & (${joined})` : joined;
    }
    const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? (schema.properties ? 'object' : undefined)];
    return types.map((/** @type {string | undefined} */ t) => this.ofType(t, schema, path, indent)).join(' | ');
  }

  /** @param {string | undefined} type @param {Schema} schema @param {Path} path @param {string} indent */
  ofType(type, schema, path, indent) {
    switch (type) {
      case 'string': return 'string';
      case 'number': case 'integer': return 'number';
      case 'boolean': return 'boolean';
      case 'null': return 'null';
      case 'array': {
        const item = this.expr(schema.items ?? true, [...path, 'items'], indent);
        return /[|&\s]/.test(item) && !item.startsWith('{') ? `Array<${item}>` : `${item}[]`;
      }
      case 'object': return this.object(schema, path, indent);
      default: return 'unknown';
    }
  }

  /** @param {Schema} schema @param {Path} path @param {string} indent */
  object(schema, path, indent) {
    const props = /** @type {Record<string, Schema>} */ (schema.properties ?? {});
    const steps = RESOLVED.filter((r) => matches(r.at, path));
    const stripped = new Set(steps.flatMap((r) => r.stripped ?? []));
    const required = new Set([...(schema.required ?? []), ...steps.flatMap((r) => r.filled ?? [])]);
    const extra = schema.additionalProperties;
    const inner = indent + '  ';
    const lines = [];
    for (const [key, sub] of Object.entries(props)) {
      if (stripped.has(key)) continue;
      const present = required.has(key) || (typeof sub === 'object' && sub.default !== undefined);
      lines.push(docLines(sub.description, sub.default, inner) + `${inner}${propertyKey(key)}${present ? '' : '?'}: ${this.expr(sub, [...path, 'properties', key], inner)};`);
    }
    if (!lines.length) {
      if (extra === false) return 'Record<string, never>';
      const value = extra === undefined || extra === true ? 'unknown' : this.expr(extra, [...path, 'additionalProperties'], indent);
      return `{ [key: string]: ${value} }`;
    }
    // Declared properties plus others: their types are not checked here (an index signature
    // would have to admit every declared property's type too).
    if (extra !== false) lines.push(`${inner}[key: string]: unknown;`);
    return `{\n${lines.join('\n')}\n${indent}}`;
  }

  /** @param {string} ref */
  ref(ref) {
    const m = /^#\/(definitions|\$defs)\/([^/]+)$/.exec(ref);
    if (!m) throw new Error(`gen-types: unsupported $ref ${ref}`);
    const target = this.root[/** @type {string} */ (m[1])]?.[/** @type {string} */ (m[2])];
    if (!target) throw new Error(`gen-types: $ref ${ref} points nowhere`);
    return this.declare(pascal(/** @type {string} */ (m[2])), target, [/** @type {string} */ (m[1]), /** @type {string} */ (m[2])]);
  }
}

/** @param {Schema} schema @param {Path} path @param {Schema} root */
function nameAt(schema, path, root) {
  if (!schema || typeof schema !== 'object') return undefined;
  const declarable = schema.properties || schema.oneOf || schema.anyOf || schema.allOf;
  if (!declarable) return undefined;
  for (const [at, name] of NAMES) {
    if (matches(at, path)) return typeof name === 'function' ? name(schema, path, root) : name;
  }
  return undefined;
}

/** @param {string[]} pattern @param {Path} path */
function matches(pattern, path) {
  return pattern.length === path.length && pattern.every((p, i) => p === '*' || p === String(path[i]));
}

/**
 * A key that ignores what only documents a schema, so the same shape gets one name.
 * @param {Schema} schema
 */
function structuralKey(schema) {
  const { description: _d, title: _t, ...rest } = schema;
  return JSON.stringify(rest);
}

/** @param {unknown} v */
function literal(v) {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return JSON.stringify(v);
}

/** @param {string} t */
function paren(t) {
  return /[|&]/.test(t) && !t.startsWith('{') ? `(${t})` : t;
}

/** @param {string} key */
function propertyKey(key) {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : literal(key);
}

/** @param {string} s */
function pascal(s) {
  return s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
}

/**
 * A TSDoc comment (description, then `@default`), wrapped at 100 columns; '' when there is nothing to say.
 * @param {string | undefined} description @param {unknown} dflt @param {string} indent
 */
function docLines(description, dflt, indent) {
  const text = String(description ?? '').replace(/\*\//g, '*\u2215').trim();
  const body = text ? wrap(text, 100 - indent.length - 3) : [];
  if (dflt !== undefined) body.push(`@default ${JSON.stringify(dflt).replace(/\*\//g, '*\u2215')}`);
  if (!body.length) return '';
  if (body.length === 1 && indent.length + body[0].length + 7 <= 100) return `${indent}/** ${body[0]} */\n`;
  return `${indent}/**\n${body.map((l) => `${indent} * ${l}`).join('\n')}\n${indent} */\n`;
}

/** @param {string} text @param {number} width */
function wrap(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
