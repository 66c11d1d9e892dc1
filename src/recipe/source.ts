import { readFileSync, statSync } from 'node:fs';
import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Node } from 'yaml';
import { RecipeError, UsageError } from '../errors.js';
import type { RecipeProblem } from '../errors.js';

/** Largest recipe file condense reads, in bytes (recipes are small; anything bigger is hostile). */
export const MAX_RECIPE_BYTES = 1024 * 1024;
/** Bound on alias expansion, so a "billion laughs" recipe fails fast instead of eating memory. */
export const MAX_ALIAS_COUNT = 100;
/** Keys that could reach Object.prototype when merged; refused anywhere in a recipe. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A parsed recipe file that still knows where every value came from. */
export interface RecipeSource {
  file: string;
  text: string;
  doc: Document;
  lines: LineCounter;
  /** The plain value of the document. */
  value: unknown;
}

type PathSegment = string | number;

/** Reads and parses one recipe file; every problem found becomes a located {@link RecipeError}. */
export function readRecipeSource(file: string): RecipeSource {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new UsageError(`recipe not found: ${file}`, { hint: 'give the path of a .yaml recipe' });
  }
  if (size > MAX_RECIPE_BYTES) {
    throw problemAt(file, 1, 1, `recipe is ${size} bytes; the limit is ${MAX_RECIPE_BYTES}`, 'size');
  }
  return parseRecipeText(file, readFileSync(file));
}

/** Parses recipe bytes (already read) with positions kept. */
export function parseRecipeText(file: string, bytes: Uint8Array): RecipeSource {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw problemAt(file, 1, 1, 'recipe is not UTF-8 text', 'encoding');
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) throw problemAt(file, 1, 1, 'recipe contains binary data (a NUL byte)', 'encoding');
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    schema: 'core',
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
    version: '1.2',
  });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length === 0) throw problemAt(file, 1, 1, 'recipe is empty', 'empty');
  if (list.length > 1) {
    const second = lines.linePos(list[1]!.range[0]);
    throw problemAt(file, second.line, second.col, 'recipe has more than one YAML document', 'documents');
  }
  const doc = list[0]!;
  const problems: RecipeProblem[] = [];
  for (const err of [...doc.errors, ...doc.warnings]) {
    const pos = err.linePos?.[0] ?? { line: 1, col: 1 };
    problems.push(problem(file, pos.line, pos.col, yamlMessage(err.code, err.message), 'yaml'));
  }
  if (problems.length) throw new RecipeError(problems);
  checkNodes(doc, lines, file, problems);
  if (problems.length) throw new RecipeError(problems);
  if (!isMap(doc.contents)) {
    const at = doc.contents ? lines.linePos(doc.contents.range?.[0] ?? 0) : { line: 1, col: 1 };
    const what = doc.contents ? 'a ' + (isSeq(doc.contents) ? 'list' : 'scalar') : 'empty';
    throw problemAt(file, at.line, at.col, `recipe must be a mapping of keys to values, not ${what}`, 'type');
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw problemAt(file, 1, 1, `recipe expands too many aliases (${message})`, 'aliases');
  }
  return { file, text, doc, lines, value };
}

function yamlMessage(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'duplicate key: each key may appear once in a mapping';
  if (code === 'TAG_RESOLVE_FAILED') return `unsupported tag: ${message.split('\n')[0]}`;
  return message.split('\n')[0] ?? message;
}

/** Walks every node: refuses custom tags, forbidden keys and numbers that lose precision. */
function checkNodes(doc: Document, lines: LineCounter, file: string, problems: RecipeProblem[]): void {
  const at = (node: Node | null | undefined) => lines.linePos(node?.range?.[0] ?? 0);
  const visit = (node: unknown): void => {
    if (isMap(node) || isSeq(node)) {
      if (node.tag && node.tag !== 'tag:yaml.org,2002:map' && node.tag !== 'tag:yaml.org,2002:seq') {
        const p = at(node);
        problems.push(problem(file, p.line, p.col, `custom tag ${node.tag} is not allowed`, 'tag'));
      }
      for (const item of node.items) visit(item);
    } else if (isPair(node)) {
      const key = node.key;
      if (isScalar(key) && typeof key.value === 'string' && FORBIDDEN_KEYS.has(key.value)) {
        const p = at(key);
        problems.push(problem(file, p.line, p.col, `key "${key.value}" is not allowed`, 'forbidden-key'));
      }
      if (key && !isScalar(key)) {
        const p = at(key as Node);
        problems.push(problem(file, p.line, p.col, 'keys must be plain scalars', 'key'));
      }
      visit(node.value);
    } else if (isScalar(node)) {
      checkScalar(node, at(node), file, problems);
    } else if (isAlias(node)) {
      return;
    }
  };
  visit(doc.contents);
}

function checkScalar(
  node: { tag?: string; value: unknown; source?: string },
  pos: { line: number; col: number },
  file: string,
  problems: RecipeProblem[],
): void {
  const builtinTags = ['tag:yaml.org,2002:str', 'tag:yaml.org,2002:int', 'tag:yaml.org,2002:float',
    'tag:yaml.org,2002:bool', 'tag:yaml.org,2002:null'];
  if (node.tag && !builtinTags.includes(node.tag)) {
    problems.push(problem(file, pos.line, pos.col, `custom tag ${node.tag} is not allowed`, 'tag'));
    return;
  }
  const v = node.value;
  if (typeof v === 'number' && !Number.isFinite(v)) {
    problems.push(problem(file, pos.line, pos.col, `${node.source ?? v} is not a finite number`, 'number'));
  } else if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
    problems.push(problem(file, pos.line, pos.col,
      `${node.source ?? v} is beyond the safe integer range (±${Number.MAX_SAFE_INTEGER})`, 'number'));
  } else if (typeof v === 'bigint') {
    problems.push(problem(file, pos.line, pos.col, `${String(v)} is beyond the safe integer range`, 'number'));
  }
}

function problem(file: string, line: number, col: number, message: string, keyword: string): RecipeProblem {
  return { file, line, col, path: '', message, keyword };
}

function problemAt(file: string, line: number, col: number, message: string, keyword: string): RecipeError {
  return new RecipeError([problem(file, line, col, message, keyword)]);
}

/**
 * The position of the value at `path` (or of its key, with `key: true`). When the path leaves the
 * document (a value added by --set or a default), the nearest ancestor that exists is used.
 */
export function locate(
  source: Pick<RecipeSource, 'doc' | 'lines'>,
  path: readonly PathSegment[],
  options: { key?: boolean } = {},
): { line: number; col: number } {
  let node: unknown = source.doc.contents;
  let position = (node as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isAlias(node)) node = node.resolve(source.doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const last = i === path.length - 1;
      if (last && options.key) {
        position = (pair.key as Node).range?.[0] ?? position;
        break;
      }
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
    } else {
      break;
    }
    position = (node as Node | null)?.range?.[0] ?? position;
  }
  return source.lines.linePos(position);
}

/** A few lines of source around (line, col) with a caret under the column. */
export function codeFrame(text: string, line: number, col: number, context = 1): string {
  const all = text.split(/\r?\n/);
  const first = Math.max(1, line - context);
  const last = Math.min(all.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? '>' : ' ';
    out.push(`${marker} ${String(n).padStart(width)} | ${all[n - 1] ?? ''}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1))}^`);
  }
  return out.join('\n');
}
