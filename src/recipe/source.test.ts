import { describe, expect, it } from 'vitest';
import { RecipeError } from '../errors.js';
import { editDistance, didYouMean } from '../util/suggest.js';
import { codeFrame, locate, parseRecipeText } from './source.js';

const parse = (text: string | Uint8Array) =>
  parseRecipeText('r.yaml', typeof text === 'string' ? new TextEncoder().encode(text) : text);

function problemsOf(text: string | Uint8Array): string[] {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof RecipeError) return err.problems.map((p) => `${p.line}:${p.col} ${p.message} [${p.keyword}]`);
    throw err;
  }
  return [];
}

describe('parseRecipeText', () => {
  it('keeps positions for locate', () => {
    const source = parse('a:\n  b: [1, 2]\n');
    expect(locate(source, ['a', 'b', 1])).toEqual({ line: 2, col: 10 });
    expect(locate(source, ['a', 'b'], { key: true })).toEqual({ line: 2, col: 3 });
    expect(locate(source, ['a', 'missing'])).toEqual({ line: 2, col: 3 });
  });

  it('reads the core schema: no Date, no Buffer, no YAML 1.1 booleans', () => {
    expect(parse('a: 2001-12-14\nb: yes\nc: on\nd: 0x10\n').value).toEqual({ a: '2001-12-14', b: 'yes', c: 'on', d: 16 });
  });

  it('refuses hostile input with located problems, quickly', () => {
    const started = performance.now();
    expect(problemsOf('')).toEqual(['1:1 recipe is empty [empty]']);
    expect(problemsOf('a: 1\n---\nb: 2\n')).toEqual(['2:1 recipe has more than one YAML document [documents]']);
    expect(problemsOf('a: !!timestamp 2001-12-14\n')).toEqual(['1:16 custom tag !!timestamp is not allowed [tag]']);
    expect(problemsOf('a: 1\na: 2\n')).toEqual(['2:1 duplicate key: each key may appear once in a mapping [duplicate-key]']);
    expect(problemsOf('a: [1, 2]\n? [x]\n: 1\n')).toEqual(['2:3 keys must be plain scalars [key]']);
    expect(problemsOf(new Uint8Array([0x61, 0x3a, 0x20, 0xc3, 0x28]))).toEqual(['1:4 recipe is not UTF-8 text [encoding]']);
    expect(problemsOf('a: 12345678901234567890\n')).toEqual(['1:4 12345678901234567890 is beyond the safe integer range (±9007199254740991) [number]']);
    expect(problemsOf('a: -.inf\n')).toEqual(['1:4 -.inf is not a finite number [number]']);
    const bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n' + 'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill('*' + 'abcdefgh'[i]).join(', ')}]`).join('\n') + '\n';
    expect(problemsOf(bomb)).toEqual(['2:8 recipe expands YAML aliases more than 100 times [aliases]']);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('codeFrame', () => {
  it('shows the line with a caret under the column', () => {
    expect(codeFrame('a: 1\nb: 2\nc: 3\n', 2, 4)).toBe('  1 | a: 1\n> 2 | b: 2\n    |    ^\n  3 | c: 3');
  });

  it('cuts very long lines to a window around the column', () => {
    const frame = codeFrame('x: ' + 'a'.repeat(5000) + 'Z', 1, 5004, 0);
    expect(frame.split('\n')[0]!.length).toBeLessThan(200);
    expect(frame).toContain('Z');
    expect(frame.split('\n')[1]!.indexOf('^')).toBe(frame.split('\n')[0]!.indexOf('Z'));
  });
});

describe('did you mean', () => {
  it('counts a swap of two adjacent letters as one edit', () => {
    expect(editDistance('adma', 'adam')).toBe(1);
    expect(editDistance('trian', 'train')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(didYouMean('mpl', ['mlp', 'lenet5'])).toBe('did you mean "mlp"?');
    expect(didYouMean('mnst', ['mnist', 'idx'])).toBe('did you mean "mnist"?');
    expect(didYouMean('zzz', ['mnist', 'idx'])).toBeUndefined();
  });
});
