/** Weight dtypes condense quantizes to; all are decoded by the stock TF.js loader. */
export type QuantizationDtype = 'uint8' | 'uint16' | 'float16';

/**
 * How one weight is stored, exactly as a TF.js weights-manifest entry's `quantization` field:
 * affine `value = q * scale + min` for uint8/uint16, IEEE half floats for float16.
 */
export interface QuantizationSpec {
  dtype: QuantizationDtype;
  min?: number;
  scale?: number;
}

const QUANT_MAX: Record<'uint8' | 'uint16', number> = { uint8: 255, uint16: 65535 };

/**
 * Chooses min and scale over the range of `values` the way the TF.js converter does: when the
 * range contains 0, min is nudged so that 0.0 is exactly representable (pruned weights stay 0).
 */
export function chooseQuantization(values: Float32Array, dtype: QuantizationDtype): QuantizationSpec {
  if (dtype === 'float16') return { dtype };
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) lo = hi = 0;
  const qmax = QUANT_MAX[dtype];
  // A constant tensor: any positive scale decodes q=0 back to `lo` exactly.
  if (hi === lo) return { dtype, min: Math.fround(lo), scale: 1 };
  const scale = Math.fround((hi - lo) / qmax);
  // The loader decodes q * scale + min in double precision; with min exactly -zp * scale (a
  // product of a float32 and a 16-bit integer, exact in a double) the zero point decodes to 0.0.
  const min = lo <= 0 && hi >= 0 ? -Math.round(-lo / scale) * scale : lo;
  return { dtype, min, scale };
}

/** Encodes values per the spec: uint8/uint16 codes, or float16 bit patterns. */
export function quantizeValues(values: Float32Array, spec: QuantizationSpec): Uint8Array | Uint16Array {
  if (spec.dtype === 'float16') {
    const out = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]!);
    return out;
  }
  const qmax = QUANT_MAX[spec.dtype];
  const out = spec.dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  const min = spec.min!;
  const scale = spec.scale!;
  for (let i = 0; i < values.length; i++) {
    const q = Math.round((values[i]! - min) / scale);
    out[i] = q < 0 ? 0 : q > qmax ? qmax : q;
  }
  return out;
}

/** Decodes codes back to float32, as the stock TF.js loader does (`q * scale + min`). */
export function dequantizeValues(codes: Uint8Array | Uint16Array, spec: QuantizationSpec): Float32Array {
  const out = new Float32Array(codes.length);
  if (spec.dtype === 'float16') {
    for (let i = 0; i < codes.length; i++) out[i] = float16BitsToFloat32(codes[i]!);
    return out;
  }
  const min = spec.min!;
  const scale = spec.scale!;
  for (let i = 0; i < codes.length; i++) out[i] = codes[i]! * scale + min;
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half-precision bits of a float32, rounding to nearest even. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** float32 value of IEEE 754 half-precision bits. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
