/** Where a JSON text stops being valid: 1-based line and column, and what was expected there. */
export interface JsonSyntaxProblem {
  line: number;
  col: number;
  reason: string;
}

class Stop {
  constructor(readonly offset: number, readonly reason: string) {}
}

/** A strict JSON recognizer that throws a {@link Stop} at the first character that cannot follow. */
class Scanner {
  i = 0;
  constructor(private readonly text: string) {}

  document(): void {
    this.value();
    this.skipSpace();
    if (this.i < this.text.length) this.fail(`unexpected ${this.found()} after the JSON value`);
  }

  private fail(reason: string): never {
    throw new Stop(this.i, reason);
  }

  private found(): string {
    const c = this.text[this.i];
    if (c === undefined) return 'the end of the file';
    return c < ' ' ? JSON.stringify(c) : `'${c}'`;
  }

  private skipSpace(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i]!)) this.i++;
  }

  private value(): void {
    this.skipSpace();
    const c = this.text[this.i];
    if (c === '{') return this.members('}', () => this.property());
    if (c === '[') return this.members(']', () => this.value());
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    const word = ['true', 'false', 'null'].find((w) => this.text.startsWith(w, this.i));
    if (word) return void (this.i += word.length);
    this.fail(`expected a value, found ${this.found()}`);
  }

  private number(): void {
    if (this.text[this.i] === '-') this.i++;
    if (this.text[this.i] === '0') this.i++;
    else this.digits('a digit');
    if (this.text[this.i] === '.') {
      this.i++;
      this.digits('a digit after the decimal point');
    }
    if (this.text[this.i] === 'e' || this.text[this.i] === 'E') {
      this.i++;
      if (this.text[this.i] === '+' || this.text[this.i] === '-') this.i++;
      this.digits('a digit in the exponent');
    }
  }

  private digits(what: string): void {
    const start = this.i;
    while (this.i < this.text.length && this.text[this.i]! >= '0' && this.text[this.i]! <= '9') this.i++;
    if (this.i === start) this.fail(`expected ${what}, found ${this.found()}`);
  }

  private members(close: string, member: () => void): void {
    this.i++;
    this.skipSpace();
    if (this.text[this.i] === close) return void this.i++;
    for (;;) {
      member();
      this.skipSpace();
      if (this.text[this.i] === ',') this.i++;
      else if (this.text[this.i] === close) return void this.i++;
      else this.fail(`expected ',' or '${close}', found ${this.found()}`);
    }
  }

  private property(): void {
    this.skipSpace();
    if (this.text[this.i] !== '"') this.fail(`expected a property name in double quotes, found ${this.found()}`);
    this.string();
    this.skipSpace();
    if (this.text[this.i] !== ':') this.fail(`expected ':', found ${this.found()}`);
    this.i++;
    this.value();
  }

  private string(): void {
    const text = this.text;
    this.i++;
    while (this.i < text.length) {
      const c = text[this.i]!;
      if (c === '"') return void this.i++;
      if (c < ' ') this.fail('control character in a string');
      if (c !== '\\') {
        this.i++;
        continue;
      }
      const escape = text[this.i + 1] ?? '';
      if ('"\\/bfnrt'.includes(escape) && escape !== '') this.i += 2;
      else if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(this.i + 2, this.i + 6))) this.i += 6;
      else {
        this.i++; // V8 points at the character after the backslash
        this.fail('invalid escape in a string');
      }
    }
    this.fail('unterminated string');
  }
}

/**
 * The first syntax error in `text`, or undefined when it is valid JSON. Meant for after
 * JSON.parse has failed: V8's messages give a position for some errors and none for others.
 */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  try {
    new Scanner(text).document();
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) return undefined; // e.g. nesting deeper than the stack
    const before = text.slice(0, err.offset);
    return { line: before.split('\n').length, col: err.offset - before.lastIndexOf('\n'), reason: err.reason };
  }
}
