/** Where a JSON text stops being valid: 1-based line and column, and what was expected there. */
export interface JsonSyntaxProblem {
  line: number;
  col: number;
  reason: string;
}

class Stop {
  constructor(readonly offset: number, readonly reason: string) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The first syntax error in `text`, or undefined when it is valid JSON. Only called once
 * JSON.parse has failed: V8's messages give a position for some errors and none for others.
 */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  const fail = (reason: string): never => {
    throw new Stop(i, reason);
  };
  const found = () => {
    const c = text[i];
    if (c === undefined) return 'the end of the file';
    return c < ' ' ? JSON.stringify(c) : `'${c}'`;
  };
  const skipSpace = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') return void i++;
      if (c === '\\') {
        if ('"\\/bfnrt'.includes(text[i + 1] ?? '')) i += 2;
        else if (text[i + 1] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else {
          i++;
          fail('invalid escape in a string');
        }
      } else if (c < ' ') {
        fail('control character in a string');
      } else {
        i++;
      }
    }
    fail('unterminated string');
  };
  const members = (close: string, member: () => void) => {
    i++;
    skipSpace();
    if (text[i] === close) return void i++;
    for (;;) {
      member();
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === close) return void i++;
      else fail(`expected ',' or '${close}', found ${found()}`);
    }
  };
  const value = (): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') {
      return members('}', () => {
        skipSpace();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${found()}`);
        string();
        skipSpace();
        if (text[i] !== ':') fail(`expected ':', found ${found()}`);
        i++;
        value();
      });
    }
    if (c === '[') return members(']', value);
    if (c === '"') return string();
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) return void (i = NUMBER.lastIndex);
    const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
    if (word) return void (i += word.length);
    fail(`expected a value, found ${found()}`);
  };
  try {
    value();
    skipSpace();
    if (i < text.length) fail(`unexpected ${found()} after the JSON value`);
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) return undefined; // e.g. nesting deeper than the stack
    const before = text.slice(0, err.offset);
    const line = before.split('\n').length;
    return { line, col: err.offset - before.lastIndexOf('\n'), reason: err.reason };
  }
}
