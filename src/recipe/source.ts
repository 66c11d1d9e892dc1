import { readFileSync, statSync } from 'node:fs';
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Node } from 'yaml';
import { RecipeError, UsageError } from '../errors.js';
import type { RecipeProblem } from '../errors.js';
import { checkNodes, firstAlias, problem, problemAt, yamlMessage } from './checks.js';

import { MAX_ALIAS_COUNT, MAX_DEPTH, MAX_RECIPE_BYTES } from './limits.js';

export { FORBIDDEN_KEYS, MAX_ALIAS_COUNT, MAX_DEPTH, MAX_RECIPE_BYTES } from './limits.js';

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
  let text = '';
  try {
    text = decode(file, bytes);
    return parseDecoded(file, text);
  } catch (err) {
    if (!(err instanceof RecipeError)) throw err;
    throw new RecipeError(err.problems.map((p) => (text ? { ...p, frame: codeFrame(text, p.line, p.col) } : p)));
  }
}

function decode(file: string, bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const lossy = new TextDecoder('utf-8').decode(bytes);
    const at = positionOf(lossy, Math.max(0, lossy.indexOf('\uFFFD')));
    throw problemAt(file, at.line, at.col, 'recipe is not UTF-8 text', 'encoding');
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const at = positionOf(text, nul);
    throw problemAt(file, at.line, at.col, 'recipe contains binary data (a NUL byte)', 'encoding');
  }
  return text;
}

/** Line and column (from 1) of a character offset. */
function positionOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

function parseDecoded(file: string, text: string): RecipeSource {
  const lines = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, {
      lineCounter: lines,
      schema: 'core',
      merge: true,
      uniqueKeys: true,
      prettyErrors: false,
      version: '1.2',
    });
  } catch (err) {
    if (err instanceof RangeError) throw problemAt(file, 1, 1, `recipe nests deeper than ${MAX_DEPTH} levels`, 'depth');
    throw err;
  }
  const list = Array.isArray(docs) ? docs : [];
  if (list.length === 0) throw problemAt(file, 1, 1, 'recipe is empty', 'empty');
  if (list.length > 1) {
    const second = lines.linePos((list[1] as Document).range?.[0] ?? 0);
    throw problemAt(file, second.line, second.col, 'recipe has more than one YAML document', 'documents');
  }
  const doc = list[0]!;
  const problems: RecipeProblem[] = [];
  const errors = [...doc.errors, ...doc.warnings];
  // The parser ran out of stack: whatever else it said follows from that, so say only that.
  const overflow = errors.find((err) => err.message.includes('Maximum call stack'));
  if (overflow) {
    const pos = lines.linePos(overflow.pos[0]);
    throw problemAt(file, pos.line, pos.col, `recipe nests deeper than ${MAX_DEPTH} levels`, 'depth');
  }
  for (const err of errors) {
    const pos = lines.linePos(err.pos[0]);
    const [message, keyword] = yamlMessage(err.code, err.message);
    problems.push(problem(file, pos.line, pos.col, message, keyword));
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
    if (!(err instanceof Error) || !/alias/i.test(err.message)) throw err;
    const at = firstAlias(doc, lines);
    throw problemAt(file, at.line, at.col, `recipe expands YAML aliases more than ${MAX_ALIAS_COUNT} times`, 'aliases');
  }
  return { file, text, doc, lines, value };
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

const FRAME_WIDTH = 160;

/** A few lines of source around (line, col) with a caret under the column. */
export function codeFrame(text: string, line: number, col: number, context = 1): string {
  const all = text.split(/\r?\n/);
  const first = Math.max(1, line - context);
  const last = Math.min(all.length, line + context);
  const width = String(last).length;
  // Long lines (minified or hostile input) are cut to a window around the column.
  const start = Math.max(0, col - 1 - FRAME_WIDTH / 2);
  const cut = (s: string) => (s.length > FRAME_WIDTH || start > 0 ? s.slice(start, start + FRAME_WIDTH) : s);
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? '>' : ' ';
    out.push(`${marker} ${String(n).padStart(width)} | ${cut(all[n - 1] ?? '')}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1 - start))}^`);
  }
  return out.join('\n');
}
