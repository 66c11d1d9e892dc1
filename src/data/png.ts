import { Inflater } from './inflate.js';

/**
 * A PNG decoder for the common case, 8-bit grayscale, grey+alpha, RGB or RGBA without
 * interlacing or transparency chunk, that reuses its buffers from image to image: with pngjs
 * every image leaves a parser, chunk buffers, a zlib stream and three pixel buffers behind, and
 * the garbage of 60,000 images grows V8's young generation by tens of megabytes. Its output is
 * byte for byte pngjs's (RGBA, alpha 255 when the file has none). Whatever it does not take, or
 * finds wrong (a bad CRC, an unknown critical chunk, a stream zlib might read differently), makes
 * {@link PngDecoder.decode} return undefined, and the caller hands the file to pngjs, which
 * decodes it or says what is wrong.
 */

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const IHDR = 0x49484452;
const IDAT = 0x49444154;
const IEND = 0x49454e44;
const TRNS = 0x74524e53;
/** Bytes per pixel of 8-bit colour types 0 (grey), 2 (RGB), 4 (grey+alpha), 6 (RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** A decoded image in the decoder's buffers: valid until its next decode. */
export interface PngImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, row-major RGBA. */
  rgba: Uint8Array;
  /** Colour type 0 or 4 (no colour), as pngjs's `!color`. */
  grayscale: boolean;
}

/** Reusable decoder of 8-bit non-interlaced PNGs: one per decoding loop. */
export class PngDecoder {
  private readonly inflater = new Inflater();
  /** IDAT data gathered when the file splits it over several chunks. */
  private idat: Uint8Array = new Uint8Array(1 << 12);
  private idatCount = 0;
  private idatStart = 0;
  private idatEnd = 0;
  private raw: Uint8Array = new Uint8Array(0);
  private readonly image: PngImage = { width: 0, height: 0, rgba: new Uint8Array(0), grayscale: false };

  /**
   * The pixels of the file `bytes[0, length)`, or undefined when this decoder does not take it
   * (use pngjs).
   */
  decode(bytes: Uint8Array, length = bytes.length): PngImage | undefined {
    if (length < 8 + 25 + 12) return undefined;
    for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) return undefined;
    if (uint32(bytes, 8) !== 13 || uint32(bytes, 12) !== IHDR || !crcOk(bytes, 12, 17)) return undefined;
    const width = uint32(bytes, 16);
    const height = uint32(bytes, 20);
    const colorType = bytes[25]!;
    const channels = CHANNELS[colorType];
    // bytes 26–28: compression, filter method and interlacing, all 0 here
    if (bytes[24] !== 8 || !channels || bytes[26] || bytes[27] || bytes[28] || !width || !height || width * height > 1 << 26) return undefined;
    if (!this.findIdat(bytes, length)) return undefined;
    const stride = width * channels + 1;
    if (this.raw.length !== stride * height) this.raw = new Uint8Array(stride * height);
    const single = this.idatCount === 1;
    const inflated = this.inflater.inflate(single ? bytes : this.idat, single ? this.idatStart : 0, this.idatEnd, this.raw);
    if (inflated !== this.raw.length) return undefined;
    if (!unfilter(this.raw, stride, height, channels)) return undefined;
    const { image } = this;
    if (image.rgba.length !== width * height * 4) image.rgba = new Uint8Array(width * height * 4);
    image.width = width;
    image.height = height;
    image.grayscale = !(colorType & 2);
    expand(this.raw, stride, width, height, channels, image.rgba);
    return image;
  }

  /**
   * Walks the chunks from IHDR's end to IEND, checking each CRC, and finds the image data: the
   * range of bytes of a single IDAT chunk, or several copied together into `idat`. False for
   * anything else than ancillary chunks (tRNS and PLTE included, which change pngjs's pixels)
   * or for a file cut short.
   */
  private findIdat(bytes: Uint8Array, length: number): boolean {
    this.idatCount = 0;
    this.idatEnd = 0;
    for (let at = 33; at + 12 <= length;) {
      const size = uint32(bytes, at);
      const type = uint32(bytes, at + 4);
      const data = at + 8;
      if (size > length - data - 4 || !crcOk(bytes, at + 4, size + 4)) return false;
      if (type === IEND) return this.idatCount > 0;
      if (type === IDAT) this.addIdat(bytes, data, size);
      else if (!(bytes[at + 4]! & 0x20) || type === TRNS) return false;
      at = data + size + 4;
    }
    return false;
  }

  private addIdat(bytes: Uint8Array, data: number, size: number): void {
    if (++this.idatCount === 1) {
      this.idatStart = data;
      this.idatEnd = data + size;
      return;
    }
    let used = this.idatEnd;
    if (this.idatCount === 2) {
      // a second chunk: from here on the data is gathered in `idat`
      used = this.idatEnd - this.idatStart;
      this.reserve(used + size);
      copy(bytes, this.idatStart, used, this.idat, 0);
    }
    this.reserve(used + size);
    copy(bytes, data, size, this.idat, used);
    this.idatEnd = used + size;
  }

  private reserve(size: number): void {
    if (size <= this.idat.length) return;
    const bigger = new Uint8Array(Math.max(size, this.idat.length * 2));
    bigger.set(this.idat);
    this.idat = bigger;
  }
}

/** Copies without the view `set(subarray)` would allocate. */
function copy(from: Uint8Array, start: number, length: number, to: Uint8Array, at: number): void {
  for (let i = 0; i < length; i++) to[at + i] = from[start + i]!;
}

function uint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Reverses the per-row PNG filters (None, Sub, Up, Average, Paeth) in place; false on an unknown one. */
function unfilter(raw: Uint8Array, stride: number, height: number, bpp: number): boolean {
  for (let y = 0; y < height; y++) {
    const row = y * stride + 1;
    const type = raw[row - 1];
    const end = row + stride - 1;
    if (type === 0) continue;
    if (type === 1) {
      for (let i = row + bpp; i < end; i++) raw[i] = (raw[i]! + raw[i - bpp]!) & 255;
    } else if (type === 2) {
      if (y > 0) for (let i = row; i < end; i++) raw[i] = (raw[i]! + raw[i - stride]!) & 255;
    } else if (type === 3) {
      for (let i = row; i < end; i++) {
        const left = i - bpp >= row ? raw[i - bpp]! : 0;
        const above = y > 0 ? raw[i - stride]! : 0;
        raw[i] = (raw[i]! + ((left + above) >> 1)) & 255;
      }
    } else if (type === 4) {
      for (let i = row; i < end; i++) {
        const left = i - bpp >= row ? raw[i - bpp]! : 0;
        const above = y > 0 ? raw[i - stride]! : 0;
        const corner = y > 0 && i - bpp >= row ? raw[i - bpp - stride]! : 0;
        raw[i] = (raw[i]! + paeth(left, above, corner)) & 255;
      }
    } else return false;
  }
  return true;
}

function paeth(left: number, above: number, corner: number): number {
  const p = left + above - corner;
  const pa = Math.abs(p - left);
  const pb = Math.abs(p - above);
  const pc = Math.abs(p - corner);
  return pa <= pb && pa <= pc ? left : pb <= pc ? above : corner;
}

/** The unfiltered rows as RGBA: grey repeated into R, G and B; alpha 255 when the file has none. */
function expand(raw: Uint8Array, stride: number, width: number, height: number, channels: number, rgba: Uint8Array): void {
  let o = 0;
  for (let y = 0; y < height; y++) {
    let i = y * stride + 1;
    for (let x = 0; x < width; x++, i += channels, o += 4) {
      if (channels <= 2) {
        rgba[o] = rgba[o + 1] = rgba[o + 2] = raw[i]!;
        rgba[o + 3] = channels === 2 ? raw[i + 1]! : 255;
      } else {
        rgba[o] = raw[i]!;
        rgba[o + 1] = raw[i + 1]!;
        rgba[o + 2] = raw[i + 2]!;
        rgba[o + 3] = channels === 4 ? raw[i + 3]! : 255;
      }
    }
  }
}

let crcTable: Int32Array | undefined;

/** Whether the CRC-32 of `bytes[at, at + length)` equals the big-endian word after it. */
function crcOk(bytes: Uint8Array, at: number, length: number): boolean {
  crcTable ??= Int32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let crc = -1;
  for (let i = at; i < at + length; i++) crc = crcTable[(crc ^ bytes[i]!) & 255]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0 === uint32(bytes, at + length);
}
