import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, visit } from 'yaml';
import type { Node } from 'yaml';
import { RecipeError } from '../errors.js';
import type { RecipeProblem } from '../errors.js';
import { FORBIDDEN_KEYS, MAX_DEPTH } from './limits.js';

// The checks source.ts runs on a parsed YAML document before trusting it.

/** A YAML error's message and keyword, in the words condense uses. */
export function yamlMessage(code: string, message: string): [string, string] {
  const first = message.split('\n')[0] ?? message;
  if (code === 'DUPLICATE_KEY') return ['duplicate key: each key may appear once in a mapping', 'duplicate-key'];
  if (code === 'TAG_RESOLVE_FAILED') {
    const tag = /tag: (\S+)/.exec(first)?.[1] ?? first;
    return [`custom tag ${shortTag(tag)} is not allowed`, 'tag'];
  }
  return [first, 'yaml'];
}

/** `!!binary` for `tag:yaml.org,2002:binary`; other tags as written. */
function shortTag(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
}

/** Position of the first alias (`*name`) in a document, for the alias-bomb message. */
export function firstAlias(doc: Document, lines: LineCounter): { line: number; col: number } {
  let offset: number | undefined;
  visit(doc, { Alias(_, node) {
    offset = node.range?.[0];
    return visit.BREAK;
  } });
  return lines.linePos(offset ?? 0);
}

/**
 * Walks every node: refuses custom tags, forbidden keys, numbers that lose precision and nesting
 * deeper than {@link MAX_DEPTH}.
 */
export function checkNodes(doc: Document, lines: LineCounter, file: string, problems: RecipeProblem[]): void {
  const at = (node: Node | null | undefined) => lines.linePos(node?.range?.[0] ?? 0);
  let tooDeep = false;
  const visit = (node: unknown, depth = 0): void => {
    if (isMap(node) || isSeq(node)) {
      if (depth >= MAX_DEPTH) {
        const p = at(node);
        if (!tooDeep) problems.push(problem(file, p.line, p.col, `recipe nests deeper than ${MAX_DEPTH} levels`, 'depth'));
        tooDeep = true;
        return;
      }
      if (node.tag && node.tag !== 'tag:yaml.org,2002:map' && node.tag !== 'tag:yaml.org,2002:seq') {
        const p = at(node);
        problems.push(problem(file, p.line, p.col, `custom tag ${shortTag(node.tag)} is not allowed`, 'tag'));
      }
      for (const item of node.items) visit(item, depth + 1);
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
      visit(node.value, depth);
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
    problems.push(problem(file, pos.line, pos.col, `custom tag ${shortTag(node.tag)} is not allowed`, 'tag'));
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

export function problem(file: string, line: number, col: number, message: string, keyword: string): RecipeProblem {
  return { file, line, col, path: '', message, keyword };
}

export function problemAt(file: string, line: number, col: number, message: string, keyword: string): RecipeError {
  return new RecipeError([problem(file, line, col, message, keyword)]);
}
