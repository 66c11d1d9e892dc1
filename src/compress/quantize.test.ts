import { describe, expect, it } from 'vitest';
import { chooseQuantization, dequantizeValues, float16BitsToFloat32, float32ToFloat16Bits, quantizeValues } from './quantize.js';

function randomValues(n: number, lo: number, hi: number): Float32Array {
  let s = 12345;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  });
}

describe('affine quantization', () => {
  for (const dtype of ['uint8', 'uint16'] as const) {
    it(`${dtype}: decoded error is at most scale/2 and zero stays exactly zero`, () => {
      const values = randomValues(5000, -0.7, 0.3);
      values[10] = 0;
      values[20] = 0;
      const spec = chooseQuantization(values, dtype);
      const codes = quantizeValues(values, spec);
      expect(codes).toBeInstanceOf(dtype === 'uint8' ? Uint8Array : Uint16Array);
      const decoded = dequantizeValues(codes, spec);
      let worst = 0;
      for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(decoded[i]! - values[i]!));
      expect(worst).toBeLessThanOrEqual(spec.scale! / 2 + 1e-7);
      expect(decoded[10]).toBe(0);
      expect(decoded[20]).toBe(0);
      // Decoding as the stock loader does (double arithmetic, stored as float32) also gives 0.
      expect(Math.fround(codes[10]! * spec.scale! + spec.min!)).toBe(0);
    });
  }

  it('a constant tensor round-trips exactly', () => {
    const values = new Float32Array(8).fill(0.25);
    const spec = chooseQuantization(values, 'uint8');
    expect(Array.from(dequantizeValues(quantizeValues(values, spec), spec))).toEqual(Array.from(values));
  });

  it('a range without zero keeps its true minimum', () => {
    const values = randomValues(100, 1, 2);
    const spec = chooseQuantization(values, 'uint8');
    expect(spec.min).toBeCloseTo(Math.min(...values), 6);
  });
});

describe('float16', () => {
  it('round-trips representable values and rounds to nearest', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8]) {
      expect(float16BitsToFloat32(float32ToFloat16Bits(v))).toBe(v);
    }
    expect(float16BitsToFloat32(float32ToFloat16Bits(1 + 2 ** -12))).toBe(1);
    expect(float16BitsToFloat32(float32ToFloat16Bits(1e6))).toBe(Infinity);
  });

  it('relative error stays within half an ulp (2^-11) for normal values', () => {
    const values = randomValues(2000, -100, 100);
    const spec = chooseQuantization(values, 'float16');
    const decoded = dequantizeValues(quantizeValues(values, spec), spec);
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i]!) > 1e-3) expect(Math.abs(decoded[i]! - values[i]!) / Math.abs(values[i]!)).toBeLessThanOrEqual(2 ** -11);
    }
  });
});
