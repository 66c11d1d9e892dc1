/**
 * A zlib (RFC 1950/1951) inflater that writes into a caller's buffer and allocates nothing per
 * stream: decoding tens of thousands of small PNGs through `zlib.inflateSync` leaves a stream
 * object and an output buffer per image for the garbage collector, and the young generation it
 * churns through grows to tens of megabytes of resident memory. It accepts only streams zlib
 * itself would inflate to the same bytes: anything unusual (an incomplete or over-subscribed
 * code, a preset dictionary, a distance before the start, a bad checksum, output that does not
 * fit) makes {@link Inflater.inflate} return -1, and the caller falls back to zlib.
 */

/** A canonical Huffman code: how many codes of each length (1–15), and the symbols in code order. */
class Huffman {
  readonly counts = new Uint16Array(16);
  readonly symbols: Uint16Array;
  private readonly offsets = new Uint16Array(16);

  constructor(maxSymbols: number) {
    this.symbols = new Uint16Array(maxSymbols);
  }

  /**
   * Builds the code from `lengths[from, from + n)`; false unless it is complete (zlib's encoder
   * writes only complete codes; the rare incomplete ones are left to zlib).
   */
  build(lengths: Uint8Array, from: number, n: number): boolean {
    const { counts, offsets, symbols } = this;
    counts.fill(0);
    for (let s = 0; s < n; s++) counts[lengths[from + s]!]!++;
    counts[0] = 0;
    let left = 1;
    for (let len = 1; len < 16; len++) {
      left = (left << 1) - counts[len]!;
      if (left < 0) return false;
    }
    offsets[1] = 0;
    for (let len = 1; len < 15; len++) offsets[len + 1] = offsets[len]! + counts[len]!;
    for (let s = 0; s < n; s++) if (lengths[from + s]) symbols[offsets[lengths[from + s]!]!++] = s;
    return left === 0;
  }
}

const LENGTH_BASE = Uint16Array.of(3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258);
const LENGTH_EXTRA = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0);
const DIST_BASE = Uint16Array.of(1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577);
const DIST_EXTRA = Uint8Array.of(0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13);
const CODE_LENGTH_ORDER = Uint8Array.of(16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15);

/** Thrown inside the inflater only; {@link Inflater.inflate} turns it into -1. */
const BAD = new Error('not inflatable here');

/** Reusable inflater: one per decoding loop. */
export class Inflater {
  private input: Uint8Array = new Uint8Array(0);
  private end = 0;
  private pos = 0;
  private bits = 0;
  private bitCount = 0;
  private readonly lengthCode = new Huffman(288);
  private readonly distCode = new Huffman(32);
  private readonly codeLengthCode = new Huffman(19);
  private readonly lengths = new Uint8Array(288 + 32);

  /**
   * Inflates the zlib stream `input[start, end)` into `out`: the number of bytes written, or -1
   * when the stream is not one this inflater takes (see the module note) or overflows `out`.
   */
  inflate(input: Uint8Array, start: number, end: number, out: Uint8Array): number {
    this.input = input;
    this.pos = start;
    this.end = end;
    this.bits = 0;
    this.bitCount = 0;
    try {
      if (end - start < 6) return -1;
      const cmf = input[start]!;
      const flg = input[start + 1]!;
      if ((cmf & 15) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || flg & 0x20) return -1;
      this.pos = start + 2;
      const written = this.blocks(out);
      this.pos = end - 4;
      if (this.pos < 0 || adler32(out, written) !== readUint32(input, end - 4)) return -1;
      return written;
    } catch (err) {
      if (err === BAD) return -1;
      throw err;
    }
  }

  private blocks(out: Uint8Array): number {
    let written = 0;
    let last = 0;
    while (!last) {
      last = this.need(1);
      const type = this.need(2);
      if (type === 0) written = this.stored(out, written);
      else if (type === 3) throw BAD;
      else {
        if (type === 1) this.fixedCodes();
        else this.dynamicCodes();
        written = this.codes(out, written);
      }
    }
    // the checksum must follow the last block exactly (whole bytes left over are not zlib's)
    if (this.pos + 4 !== this.end) throw BAD;
    return written;
  }

  private need(count: number): number {
    let value = this.bits;
    while (this.bitCount < count) {
      if (this.pos >= this.end) throw BAD;
      value |= this.input[this.pos++]! << this.bitCount;
      this.bitCount += 8;
    }
    this.bits = value >>> count;
    this.bitCount -= count;
    return value & ((1 << count) - 1);
  }

  private stored(out: Uint8Array, written: number): number {
    this.bits = 0;
    this.bitCount = 0;
    const { input } = this;
    if (this.pos + 4 > this.end) throw BAD;
    const length = input[this.pos]! | (input[this.pos + 1]! << 8);
    const check = input[this.pos + 2]! | (input[this.pos + 3]! << 8);
    this.pos += 4;
    if (length !== (~check & 0xffff) || this.pos + length > this.end || written + length > out.length) throw BAD;
    for (let i = 0; i < length; i++) out[written + i] = input[this.pos + i]!;
    this.pos += length;
    return written + length;
  }

  private decode(code: Huffman): number {
    const { counts, symbols } = code;
    let bits = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      bits |= this.need(1);
      const count = counts[len]!;
      if (bits - first < count) return symbols[index + bits - first]!;
      index += count;
      first = (first + count) << 1;
      bits <<= 1;
    }
    throw BAD;
  }

  private codes(out: Uint8Array, start: number): number {
    let written = start;
    for (;;) {
      const symbol = this.decode(this.lengthCode);
      if (symbol < 256) {
        if (written >= out.length) throw BAD;
        out[written++] = symbol;
        continue;
      }
      if (symbol === 256) return written;
      const s = symbol - 257;
      if (s >= 29) throw BAD;
      const length = LENGTH_BASE[s]! + this.need(LENGTH_EXTRA[s]!);
      const d = this.decode(this.distCode);
      if (d >= 30) throw BAD;
      const distance = DIST_BASE[d]! + this.need(DIST_EXTRA[d]!);
      if (distance > written || written + length > out.length) throw BAD;
      for (let i = 0; i < length; i++, written++) out[written] = out[written - distance]!;
    }
  }

  private fixedCodes(): void {
    const { lengths } = this;
    lengths.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
    this.lengthCode.build(lengths, 0, 288);
    // 32 five-bit codes of which 30 are used: incomplete by design (codes 30 and 31 are errors)
    lengths.fill(5, 0, 32);
    this.distCode.build(lengths, 0, 32);
  }

  private dynamicCodes(): void {
    const nlen = this.need(5) + 257;
    const ndist = this.need(5) + 1;
    const ncode = this.need(4) + 4;
    if (nlen > 286 || ndist > 30) throw BAD;
    const { lengths } = this;
    lengths.fill(0, 0, 19);
    for (let i = 0; i < ncode; i++) lengths[CODE_LENGTH_ORDER[i]!] = this.need(3);
    if (!this.codeLengthCode.build(lengths, 0, 19)) throw BAD;
    let i = 0;
    while (i < nlen + ndist) {
      const symbol = this.decode(this.codeLengthCode);
      if (symbol < 16) {
        lengths[i++] = symbol;
        continue;
      }
      let value = 0;
      let repeat: number;
      if (symbol === 16) {
        if (i === 0) throw BAD;
        value = lengths[i - 1]!;
        repeat = 3 + this.need(2);
      } else repeat = symbol === 17 ? 3 + this.need(3) : 11 + this.need(7);
      if (i + repeat > nlen + ndist) throw BAD;
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    if (lengths[256] === 0) throw BAD;
    if (!this.lengthCode.build(lengths, 0, nlen) || !this.distCode.build(lengths, nlen, ndist)) throw BAD;
  }
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Adler-32 of `bytes[0, length)`. */
function adler32(bytes: Uint8Array, length: number): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < length;) {
    const stop = Math.min(length, i + 5552);
    for (; i < stop; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
