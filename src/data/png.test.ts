import { constants, deflateSync, inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { Prng } from '../util/prng.js';
import { ImageDecoder } from './image-decode.js';
import { Inflater } from './inflate.js';
import { PngDecoder } from './png.js';

const random = new Prng(7);
const bytes = (n: number, range = 256) => Uint8Array.from({ length: n }, () => Math.floor(random.next() * range));
/** Smooth-ish pixels (so the filters and LZ77 matches have something to do), with some noise. */
const pixels = (n: number) => Uint8Array.from({ length: n }, (_, i) => (Math.floor(i / 7) * 3 + (random.next() < 0.2 ? Math.floor(random.next() * 256) : 0)) & 255);

function crc32(data: Uint8Array): number {
  let crc = -1;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ -1) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Filters `rows` (each `bpp`-byte pixels) with the given filter type per row, as a PNG encoder would. */
function filterRows(rows: Uint8Array[], bpp: number, types: number[]): Buffer {
  return Buffer.concat(rows.map((row, y) => {
    const above = y > 0 ? rows[y - 1]! : new Uint8Array(row.length);
    const type = types[y % types.length]!;
    const out = new Uint8Array(row.length + 1);
    out[0] = type;
    for (let i = 0; i < row.length; i++) {
      const a = i >= bpp ? row[i - bpp]! : 0;
      const b = above[i]!;
      const c = i >= bpp ? above[i - bpp]! : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type]!;
      out[i + 1] = (row[i]! - predictor) & 255;
    }
    return out;
  }));
}

interface Built { width: number; height: number; depth?: number; colorType: number; interlace?: boolean; extra?: Buffer[]; idatParts?: number; level?: number; strategy?: number; types?: number[] }

/** A PNG built by hand: `rowBytes` bytes per row of raw samples, filtered, deflated and chunked as asked. */
function buildPng(spec: Built, rowBytes: number, bpp: number): Buffer {
  const { width, height } = spec;
  const passes = spec.interlace ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] : [[0, 0, 1, 1]];
  const full = Array.from({ length: height }, () => pixels(rowBytes));
  const raw = Buffer.concat(passes.map(([x0, y0, dx, dy]) => {
    const rows: Uint8Array[] = [];
    for (let y = y0!; y < height; y += dy!) {
      const xs: number[] = [];
      for (let x = x0!; x < width; x += dx!) xs.push(x);
      if (xs.length) rows.push(spec.interlace ? Uint8Array.from(xs.flatMap((x) => Array.from(full[y]!.subarray(x * bpp, (x + 1) * bpp)))) : full[y]!);
    }
    return filterRows(rows, bpp, spec.types ?? [0, 1, 2, 3, 4]);
  }));
  const z = deflateSync(raw, { level: spec.level ?? 6, strategy: spec.strategy ?? constants.Z_DEFAULT_STRATEGY });
  const parts = spec.idatParts ?? 1;
  const step = Math.ceil(z.length / parts);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([spec.depth ?? 8, spec.colorType, 0, 0, spec.interlace ? 1 : 0], 8);
  const idats = Array.from({ length: parts }, (_, i) => chunk('IDAT', z.subarray(i * step, (i + 1) * step)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...(spec.extra ?? []), ...idats, chunk('IEND', new Uint8Array(0))]);
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const eight = (spec: Built) => buildPng(spec, spec.width * CHANNELS[spec.colorType]!, CHANNELS[spec.colorType]!);

/** What pngjs alone makes of a file, as the images loader reported it before the fast decoder. */
function reference(file: Buffer) {
  const image = PNG.sync.read(file);
  return { width: image.width, height: image.height, rgba: Uint8Array.from(image.data), grayscale: !image.color };
}

function decodedLikePngjs(file: Buffer, fast: boolean): void {
  const own = new PngDecoder().decode(file);
  expect(own !== undefined).toBe(fast);
  const image = new ImageDecoder().decode(file, 'x.png');
  const want = reference(file);
  expect({ ...image, rgba: Uint8Array.from(image.rgba) }).toEqual(want);
}

describe('PNG decoder', () => {
  it('decodes 8-bit grey, grey+alpha, RGB and RGBA with every filter exactly as pngjs does', () => {
    for (const colorType of [0, 2, 4, 6]) {
      for (const types of [[0], [1], [2], [3], [4], [4, 3, 2, 1, 0]]) {
        for (const [width, height] of [[1, 1], [28, 28], [13, 7], [64, 3]] as const) decodedLikePngjs(eight({ width, height, colorType, types }), true);
      }
    }
  });

  it('takes stored, fixed-Huffman, Huffman-only and RLE streams, split IDAT and ancillary chunks', () => {
    const text = chunk('tEXt', Buffer.from('Comment\0hello', 'latin1'));
    const gamma = chunk('gAMA', Buffer.from([0, 0, 0xb1, 0x8f]));
    for (const [level, strategy] of [[0, 0], [1, constants.Z_FIXED], [6, constants.Z_HUFFMAN_ONLY], [9, constants.Z_RLE], [9, 0]]) {
      decodedLikePngjs(eight({ width: 40, height: 30, colorType: 2, level, strategy, idatParts: 3, extra: [text, gamma] }), true);
    }
    const pngjsWritten = PNG.sync.write(Object.assign(new PNG({ width: 28, height: 28 }), { data: Buffer.from(pixels(28 * 28 * 4)) }), { colorType: 0, inputColorType: 6 });
    decodedLikePngjs(pngjsWritten, true);
  });

  it('leaves interlaced, palette, 16-bit, low-depth and tRNS files to pngjs, with the same result', () => {
    decodedLikePngjs(eight({ width: 19, height: 11, colorType: 2, interlace: true }), false);
    decodedLikePngjs(eight({ width: 9, height: 9, colorType: 0, interlace: true }), false);
    const palette = chunk('PLTE', bytes(256 * 3));
    decodedLikePngjs(buildPng({ width: 12, height: 5, colorType: 3, extra: [palette] }, 12, 1), false);
    decodedLikePngjs(buildPng({ width: 12, height: 5, colorType: 0, depth: 16 }, 24, 2), false);
    decodedLikePngjs(buildPng({ width: 12, height: 5, colorType: 0, depth: 4 }, 6, 1), false);
    decodedLikePngjs(eight({ width: 12, height: 5, colorType: 0, extra: [chunk('tRNS', Buffer.from([0, 7]))] }), false);
  });

  it('declines a bad CRC, a bad checksum or a cut file, so pngjs reports it', () => {
    const good = eight({ width: 8, height: 8, colorType: 0 });
    const badCrc = Buffer.from(good);
    badCrc[good.length - 20]! ^= 1; // inside the IDAT data
    expect(new PngDecoder().decode(badCrc)).toBeUndefined();
    expect(() => new ImageDecoder().decode(badCrc, 'x.png')).toThrow(/corrupt image/);
    expect(new PngDecoder().decode(good.subarray(0, good.length - 12))).toBeUndefined();
    expect(() => new ImageDecoder().decode(good.subarray(0, good.length - 12), 'x.png')).toThrow(/corrupt image/);
  });

  it('reuses its buffers: decoding one image after another gives each its own pixels', () => {
    const decoder = new ImageDecoder();
    for (let i = 0; i < 5; i++) {
      const file = eight({ width: 28, height: 28, colorType: 0 });
      expect(Uint8Array.from(decoder.decode(file, 'x.png').rgba)).toEqual(reference(file).rgba);
    }
  });
});

describe('inflater', () => {
  it('inflates what zlib deflates, at every level and strategy, to the same bytes', () => {
    const inflater = new Inflater();
    const inputs = [new Uint8Array(0), bytes(1), bytes(70_000, 4), pixels(100_000), bytes(5000)];
    for (const input of inputs) {
      for (const level of [0, 1, 6, 9]) {
        for (const strategy of [0, constants.Z_FIXED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FILTERED]) {
          const z = deflateSync(input, { level, strategy });
          const out = new Uint8Array(input.length);
          expect(inflater.inflate(z, 0, z.length, out)).toBe(input.length);
          expect(Buffer.from(out).equals(inflateSync(z))).toBe(true);
        }
      }
    }
  });

  it('returns -1 for a wrong checksum, trailing bytes, a preset dictionary or output that does not fit', () => {
    const inflater = new Inflater();
    const input = pixels(1000);
    const z = deflateSync(input);
    const out = new Uint8Array(1000);
    const badAdler = Buffer.from(z);
    badAdler[z.length - 1]! ^= 1;
    expect(inflater.inflate(badAdler, 0, z.length, out)).toBe(-1);
    expect(inflater.inflate(Buffer.concat([z, Buffer.from([0])]), 0, z.length + 1, out)).toBe(-1);
    const dict = deflateSync(input, { dictionary: Buffer.from('abc') });
    expect(inflater.inflate(dict, 0, dict.length, out)).toBe(-1);
    expect(inflater.inflate(z, 0, z.length, new Uint8Array(999))).toBe(-1);
    expect(inflater.inflate(z, 0, z.length, out)).toBe(1000);
  });
});
