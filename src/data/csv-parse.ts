import { dataError } from './files.js';

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** One CSV record: its fields as byte ranges of the file, or as strings when it had quotes. */
export interface CsvRecord {
  /** 1-based line the record starts on. */
  line: number;
  /** Field i spans bytes [starts[i], ends[i]) (unquoted records). */
  starts: number[];
  ends: number[];
  /** The fields, when the record had a quoted field (then starts/ends are unused). */
  quoted?: string[];
  /** Offset of the next record. */
  next: number;
  /** Lines the record spans (quoted fields may hold newlines). */
  lineCount: number;
}

/** Reads the record at `pos` (which is not at the end of the file). */
export function readRecord(bytes: Uint8Array, pos: number, line: number, file: string): CsvRecord {
  const starts: number[] = [pos];
  const ends: number[] = [];
  let i = pos;
  for (; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === COMMA) {
      ends.push(i);
      starts.push(i + 1);
    } else if (b === LF) {
      break;
    } else if (b === QUOTE) {
      return readQuotedRecord(bytes, pos, line, file);
    }
  }
  const end = i > pos && bytes[i - 1] === CR ? i - 1 : i;
  ends.push(Math.max(end, starts[starts.length - 1]!));
  return { line, starts, ends, next: i + 1, lineCount: 1 };
}

/** The general path: RFC 4180 quoting ("" inside quotes is a quote; newlines may be quoted). */
function readQuotedRecord(bytes: Uint8Array, pos: number, line: number, file: string): CsvRecord {
  const fields: string[] = [];
  const decoder = new TextDecoder();
  let i = pos;
  let lines = 1;
  for (;;) {
    let field = '';
    while (bytes[i] === SPACE || bytes[i] === TAB) i++;
    if (bytes[i] === QUOTE) {
      let start = ++i;
      for (;;) {
        if (i >= bytes.length) throw dataError(file, line, 'a quoted field is not closed (missing ")');
        if (bytes[i] === QUOTE) {
          field += decoder.decode(bytes.subarray(start, i));
          if (bytes[i + 1] === QUOTE) { field += '"'; i += 2; start = i; continue; }
          i++;
          break;
        }
        if (bytes[i] === LF) lines++;
        i++;
      }
      while (bytes[i] === SPACE || bytes[i] === TAB || bytes[i] === CR) i++;
      if (i < bytes.length && bytes[i] !== COMMA && bytes[i] !== LF) throw dataError(file, line, 'text after a closing quote (write "" for a quote inside a quoted field)');
    } else {
      const start = i;
      while (i < bytes.length && bytes[i] !== COMMA && bytes[i] !== LF) {
        if (bytes[i] === QUOTE) throw dataError(file, line, 'a quote inside an unquoted field (quote the whole field)');
        i++;
      }
      field = decoder.decode(bytes.subarray(start, i > start && bytes[i - 1] === CR ? i - 1 : i));
    }
    fields.push(field);
    if (i >= bytes.length || bytes[i] === LF) return { line, starts: [], ends: [], quoted: fields, next: i + 1, lineCount: lines };
    i++;
  }
}

/** The number of fields of a record. */
export function fieldCount(record: CsvRecord): number {
  return record.quoted ? record.quoted.length : record.starts.length;
}

/** Field `k` of a record as text. */
export function fieldText(bytes: Uint8Array, record: CsvRecord, k: number): string {
  if (record.quoted) return record.quoted[k]!.trim();
  return latin1(bytes, record.starts[k]!, record.ends[k]!).trim();
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The number in bytes [start, end) (spaces around it allowed), or NaN when it is not one. Plain
 * decimals are parsed here without making a string (the hot loop of a large CSV); exponents and
 * long mantissas go through Number().
 */
export function parseNumber(bytes: Uint8Array, start: number, end: number): number {
  while (start < end && (bytes[start] === SPACE || bytes[start] === TAB)) start++;
  while (end > start && (bytes[end - 1] === SPACE || bytes[end - 1] === TAB)) end--;
  if (start === end) return NaN;
  let i = start;
  let negative = false;
  if (bytes[i] === 0x2d || bytes[i] === 0x2b) { negative = bytes[i] === 0x2d; i++; }
  let mantissa = 0;
  let digits = 0;
  let decimals = 0;
  let point = false;
  for (; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 0x30 && b <= 0x39) {
      mantissa = mantissa * 10 + (b - 0x30);
      digits++;
      if (point) decimals++;
    } else if (b === 0x2e && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (i === end && digits > 0 && digits <= 15 && decimals < POW10.length) {
    const value = decimals ? mantissa / POW10[decimals]! : mantissa;
    return negative ? -value : value;
  }
  const value = Number(latin1(bytes, start, end));
  return Number.isFinite(value) && /[0-9]/.test(latin1(bytes, start, end)) ? value : NaN;
}

/** Whether the bytes from `pos` to the end of its line are only whitespace. */
export function blankLine(bytes: Uint8Array, pos: number): boolean {
  for (let i = pos; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === LF) return true;
    if (b !== CR && b !== SPACE && b !== TAB) return false;
  }
  return true;
}

/** Offset after the line at `pos`. */
export function skipLine(bytes: Uint8Array, pos: number): number {
  const i = bytes.indexOf(LF, pos);
  return i < 0 ? bytes.length : i + 1;
}
