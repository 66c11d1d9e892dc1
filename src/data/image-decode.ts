import { createRequire } from 'node:module';
import type { PNG } from 'pngjs';
import { dataError } from './files.js';
import { PngDecoder } from './png.js';

const require = createRequire(import.meta.url);

/** A decoded image: 8-bit RGBA pixels, and whether the file stored it as grayscale. */
export interface DecodedImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, row-major RGBA. */
  rgba: Uint8Array;
  grayscale: boolean;
}

/** File name endings read as images (case-insensitive); other files in class folders are skipped. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

let png: typeof PNG | undefined;
let jpeg: typeof import('jpeg-js') | undefined;

/**
 * Decodes PNG and JPEG bytes, told apart by their magic numbers: 8-bit non-interlaced PNGs by
 * {@link PngDecoder} (no garbage per image), other PNGs by pngjs, JPEGs by jpeg-js. Reuse one for
 * many images; a returned image may live in its buffers, valid until the next decode.
 */
export class ImageDecoder {
  private readonly png = new PngDecoder();

  /** The pixels of the file `bytes[0, length)`; a corrupt or unknown file is a UsageError naming `file`. */
  decode(bytes: Buffer, file: string, length = bytes.length): DecodedImage {
    try {
      if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
        return this.png.decode(bytes, length) ?? decodeWithPngjs(bytes.subarray(0, length));
      }
      if (bytes[0] === 0xff && bytes[1] === 0xd8) {
        jpeg ??= require('jpeg-js') as typeof import('jpeg-js');
        const jpegBytes = bytes.subarray(0, length);
        const image = jpeg.decode(jpegBytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
        return { width: image.width, height: image.height, rgba: image.data, grayscale: jpegComponents(jpegBytes) === 1 };
      }
    } catch (err) {
      throw dataError(file, undefined, `corrupt image (${err instanceof Error ? err.message : String(err)})`, 'remove or replace the file');
    }
    throw dataError(file, undefined, 'not a PNG or JPEG image (its bytes do not start like one)', 'remove the file, or give it a name not ending in .png/.jpg/.jpeg');
  }
}

/** Decodes one image into buffers of its own (see {@link ImageDecoder} for many). */
export function decodeImage(bytes: Buffer, file: string): DecodedImage {
  return new ImageDecoder().decode(bytes, file);
}

/** Any PNG pngjs reads: interlaced, palette, 1–16 bits, with transparency chunk. */
function decodeWithPngjs(bytes: Buffer): DecodedImage {
  png ??= (require('pngjs') as typeof import('pngjs')).PNG;
  const image = png.sync.read(bytes);
  return { width: image.width, height: image.height, rgba: image.data, grayscale: !image.color };
}

/** Number of colour components in a JPEG's frame header (1 for grayscale), or 3 when not found. */
function jpegComponents(bytes: Uint8Array): number {
  let i = 2;
  while (i + 9 < bytes.length && bytes[i] === 0xff) {
    const marker = bytes[i + 1]!;
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return bytes[i + 9]!;
    i += 2 + length;
  }
  return 3;
}

/**
 * The image's pixels as `channels` bytes per pixel (alpha dropped): grayscale from RGB by the
 * ITU-R BT.601 luma weights, RGB from grayscale by repeating the value. Writes into `out` from
 * byte `at` when given.
 */
export function toChannels(image: DecodedImage, channels: number, out = new Uint8Array(image.width * image.height * channels), at = 0): Uint8Array {
  const pixels = image.width * image.height;
  const { rgba } = image;
  if (channels === 3) {
    for (let p = 0; p < pixels; p++) {
      out[at + 3 * p] = rgba[4 * p]!;
      out[at + 3 * p + 1] = rgba[4 * p + 1]!;
      out[at + 3 * p + 2] = rgba[4 * p + 2]!;
    }
  } else if (image.grayscale) {
    for (let p = 0; p < pixels; p++) out[at + p] = rgba[4 * p]!;
  } else {
    for (let p = 0; p < pixels; p++) out[at + p] = Math.round(0.299 * rgba[4 * p]! + 0.587 * rgba[4 * p + 1]! + 0.114 * rgba[4 * p + 2]!);
  }
  return out;
}

/**
 * Bilinear resize of `channels`-byte pixels from w×h to width×height, sampling at pixel centres
 * (TF's half_pixel_centers) and rounding to the nearest byte: the same bytes on every machine.
 * Writes width × height × channels bytes into `out` from byte `offset`.
 */
export function resizeBilinear(src: Uint8Array, w: number, h: number, channels: number, width: number, height: number, out: Uint8Array, offset = 0): void {
  if (w === width && h === height) {
    out.set(src.subarray(0, w * h * channels), offset);
    return;
  }
  const sy = h / height;
  const sx = w / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(h - 1, y0 + 1);
    const dy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(w - 1, x0 + 1);
      const dx = fx - x0;
      for (let c = 0; c < channels; c++) {
        const topLeft = src[(y0 * w + x0) * channels + c]!;
        const bottomLeft = src[(y1 * w + x0) * channels + c]!;
        const top = topLeft + (src[(y0 * w + x1) * channels + c]! - topLeft) * dx;
        const bottom = bottomLeft + (src[(y1 * w + x1) * channels + c]! - bottomLeft) * dx;
        out[offset + (y * width + x) * channels + c] = Math.round(top + (bottom - top) * dy);
      }
    }
  }
}
