import type { JsonSchema } from '../stages/types.js';

type Props = Record<string, JsonSchema>;

/**
 * The field reference of the recipe language as Markdown, made from the schema's descriptions:
 * one table per mapping (top level, each dataset, each stage type, nested mappings).
 * Deterministic: same schema, same bytes.
 */
export function recipeReferenceMarkdown(schema: JsonSchema): string {
  const out: string[] = [
    '# Recipe field reference',
    '',
    '<!-- Generated from the stage registry by `node scripts/gen-schema.mjs`; do not edit by hand. -->',
    '',
    `${String(schema.description ?? '')} Schema: \`${String(schema.$id)}\` (\`schemas/recipe.schema.json\`).`,
    '',
  ];
  const props = (schema.properties ?? {}) as Props;
  section(out, 'Top level', schema);
  for (const [key, sub] of Object.entries(props)) {
    if (key === 'data') {
      for (const branch of (sub.oneOf ?? []) as JsonSchema[]) {
        const name = tagOf(branch, 'dataset');
        section(out, `data — dataset: ${name}`, branch, 'data');
      }
    } else if (key === 'stages') {
      const item = ((sub.items ?? {}) as JsonSchema);
      for (const branch of (item.oneOf ?? []) as JsonSchema[]) {
        section(out, `stages — type: ${tagOf(branch, 'type')}`, branch, 'stages[]');
      }
    } else if (key === 'gates') {
      section(out, 'gates.<metric>', (sub.additionalProperties ?? {}) as JsonSchema, 'gates.<metric>');
    } else if (sub.properties) {
      section(out, key, sub, key);
    }
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

function tagOf(branch: JsonSchema, tag: string): string {
  return String(((branch.properties as Props | undefined)?.[tag] ?? {}).const ?? '?');
}

/** One table for the mapping `schema`, then tables for the mappings nested in it. */
function section(out: string[], title: string, schema: JsonSchema, prefix = ''): void {
  const props = (schema.properties ?? {}) as Props;
  const required = new Set((schema.required ?? []) as string[]);
  out.push(`## ${title}`, '');
  if (schema.description && prefix) out.push(String(schema.description), '');
  out.push('| field | type | required | default | description |', '|---|---|---|---|---|');
  for (const [key, sub] of Object.entries(props)) {
    out.push(`| \`${key}\` | ${cell(typeOf(sub))} | ${required.has(key) ? 'yes' : ''} | ${sub.default === undefined ? '' : cell('`' + JSON.stringify(sub.default) + '`')} | ${cell(String(sub.description ?? ''))} |`);
  }
  out.push('');
  for (const [key, sub] of Object.entries(props)) {
    if (sub.properties && prefix) section(out, `${title} › ${key}`, sub, `${prefix}.${key}`);
  }
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return '`' + JSON.stringify(s.const) + '`';
  if (Array.isArray(s.enum)) return s.enum.map((v) => '`' + String(v) + '`').join(' | ');
  if (s.type === 'array') return `list of ${typeOf((s.items ?? {}) as JsonSchema)}`;
  if (Array.isArray(s.anyOf)) return (s.anyOf as JsonSchema[]).map(typeOf).join(' or ');
  if (s.type === 'object') return s.additionalProperties && typeof s.additionalProperties === 'object' ? `mapping of ${typeOf(s.additionalProperties as JsonSchema)}` : 'mapping';
  const range = [s.minimum !== undefined ? `≥ ${String(s.minimum)}` : '', s.exclusiveMinimum !== undefined ? `> ${String(s.exclusiveMinimum)}` : '',
    s.maximum !== undefined ? `≤ ${String(s.maximum)}` : '', s.exclusiveMaximum !== undefined ? `< ${String(s.exclusiveMaximum)}` : ''].filter(Boolean).join(', ');
  return `${String(s.type ?? 'any')}${range ? ` (${range})` : ''}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
