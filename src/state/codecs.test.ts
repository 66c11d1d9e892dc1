import { describe, expect, it } from 'vitest';
import type { QuantizationSpec } from '../compress/quantize.js';
import type { ModelState, StateCodec, StateParts } from '../types/model-state.js';
import { BUILTIN_STATE_CODECS, decodeParts, encodeParts, freshState, masksCodec, nextState, quantizationCodec, stateParts } from './codecs.js';
import type { CodecLookup } from './codecs.js';

/** Float32 values from raw bit patterns: NaN payloads, -0, infinities, subnormals, extremes. */
function fromBits(bits: number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}
const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

const ODD_FLOATS = fromBits([
  0x7fc00000, 0x7fc00001, 0xffc12345, 0x7f800001, // NaNs: quiet, with payloads, signalling
  0x80000000, 0x00000000, 0x7f800000, 0xff800000, // -0, +0, ±Infinity
  0x00000001, 0x807fffff, 0x7f7fffff, 0x3f800000, // subnormals, max float, 1
]);

/** A toy codec of a kind condense does not have: cluster centroids per weight. */
const clustersCodec: StateCodec<Map<string, number[]>> = {
  kind: 'clusters',
  empty: () => new Map(),
  encode: (value) => ({ json: Object.fromEntries(value), bytes: Uint8Array.of(1, 2, 3) }),
  decode: (json, bytes) => {
    expect(Array.from(bytes ?? [])).toEqual([1, 2, 3]);
    return new Map(Object.entries(json as Record<string, number[]>));
  },
};
const codecs = [...BUILTIN_STATE_CODECS, clustersCodec as StateCodec];
const lookup: CodecLookup = (kind) => codecs.find((c) => c.kind === kind);
const KINDS = codecs.map((c) => c.kind);

describe('masks codec', () => {
  it('round-trips arbitrary float32 bit patterns exactly, keys and order kept', () => {
    const masks = new Map([['b/kernel', ODD_FLOATS], ['a/kernel', Float32Array.of(1, 0, 1)], ['empty', new Float32Array(0)]]);
    const { json, bytes } = masksCodec.encode(masks);
    const back = masksCodec.decode(JSON.parse(JSON.stringify(json)), bytes);
    expect([...back.keys()]).toEqual(['b/kernel', 'a/kernel', 'empty']);
    for (const [key, values] of masks) expect(bitsOf(back.get(key)!)).toEqual(bitsOf(values));
  });

  it('decodes from a byte view at an unaligned offset (as a file read may give)', () => {
    const { json, bytes } = masksCodec.encode(new Map([['k', ODD_FLOATS]]));
    const padded = new Uint8Array(bytes!.length + 3);
    padded.set(bytes!, 3);
    expect(bitsOf(masksCodec.decode(json, padded.subarray(3)).get('k')!)).toEqual(bitsOf(ODD_FLOATS));
  });

  it('hands out fresh arrays: changing a decoded mask leaves the bytes alone', () => {
    const { json, bytes } = masksCodec.encode(new Map([['k', Float32Array.of(1, 1)]]));
    const first = masksCodec.decode(json, bytes).get('k')!;
    first[0] = 0;
    expect(Array.from(masksCodec.decode(json, bytes).get('k')!)).toEqual([1, 1]);
  });
});

describe('quantization codec', () => {
  it('round-trips every spec exactly, through JSON text', () => {
    const specs = new Map<string, QuantizationSpec>([
      ['dense1/kernel', { dtype: 'uint8', min: -0.1234567891234, scale: 1 / 255 }],
      ['dense1/bias', { dtype: 'uint16', min: 5e-324, scale: 0.1 + 0.2 }],
      ['output/kernel', { dtype: 'float16' }],
    ]);
    const { json, bytes } = quantizationCodec.encode(specs);
    expect(bytes).toBeUndefined();
    const back = quantizationCodec.decode(JSON.parse(JSON.stringify(json)), undefined);
    expect([...back]).toEqual([...specs]);
    for (const [key, spec] of specs) {
      expect(Object.is(back.get(key)!.scale, spec.scale)).toBe(true);
      expect(Object.is(back.get(key)!.min, spec.min)).toBe(true);
    }
  });
});

describe('encodeParts / decodeParts', () => {
  const parts: StateParts = {
    masks: new Map([['d/kernel', ODD_FLOATS]]),
    quantization: new Map([['d/kernel', { dtype: 'uint8', min: -1, scale: 0.01 }]]),
    clusters: new Map([['d/kernel', [0.5, -0.25]]]),
  };

  it('writes <kind>.json and, with a payload, <kind>.bin under the prefix', () => {
    const files = encodeParts(parts, lookup, 'state/');
    expect([...files.keys()].sort()).toEqual(['state/clusters.bin', 'state/clusters.json', 'state/masks.bin', 'state/masks.json', 'state/quantization.json']);
  });

  it('reads back every kind, a custom one included', () => {
    const back = decodeParts(encodeParts(parts, lookup, 'state/'), lookup, KINDS, 'state/');
    expect(Object.keys(back).sort()).toEqual(['clusters', 'masks', 'quantization']);
    expect(bitsOf((back.masks as Map<string, Float32Array>).get('d/kernel')!)).toEqual(bitsOf(ODD_FLOATS));
    expect(back.quantization).toEqual(parts.quantization);
    expect(back.clusters).toEqual(parts.clusters);
  });

  it('ignores files outside the prefix', () => {
    const files = encodeParts(parts, lookup, 'epoch/');
    files.set('model/model.json', new TextEncoder().encode('{}'));
    files.set('other/unknown.json', new TextEncoder().encode('{}'));
    expect(Object.keys(decodeParts(files, lookup, KINDS, 'epoch/')).sort()).toEqual(['clusters', 'masks', 'quantization']);
  });

  it('starts registered kinds the files lack empty', () => {
    const onlyMasks = encodeParts({ masks: parts.masks } as StateParts, lookup, 'state/');
    const back = decodeParts(onlyMasks, lookup, KINDS, 'state/');
    expect(back.quantization).toEqual(new Map());
    expect(back.clusters).toEqual(new Map());
    expect((back.masks as Map<string, Float32Array>).size).toBe(1);
  });

  it('refuses to encode a kind without a codec, naming it', () => {
    const withStray = { ...parts, vocabulary: ['a'] } as StateParts;
    expect(() => encodeParts(withStray, lookup, 'state/')).toThrow('model state "vocabulary" has no registered codec');
  });

  it('refuses to decode a stored kind no codec reads, naming it', () => {
    const files = encodeParts(parts, lookup, 'state/');
    const builtinOnly: CodecLookup = (kind) => BUILTIN_STATE_CODECS.find((c) => c.kind === kind);
    expect(() => decodeParts(files, builtinOnly, ['masks', 'quantization'], 'state/')).toThrow('checkpoint holds model state "clusters", which no registered codec reads');
  });
});

describe('state helpers', () => {
  const model = { name: 'a model' } as unknown as ModelState['model'];

  it('freshState has every registered kind empty', () => {
    const state = freshState(model, codecs);
    expect(state.model).toBe(model);
    expect(Object.keys(state).sort()).toEqual(['clusters', 'masks', 'model', 'quantization']);
    expect(state.clusters).toEqual(new Map());
    expect(freshState(model, codecs).masks).not.toBe(state.masks);
  });

  it('nextState applies the changes and carries every other kind along, unknown ones too', () => {
    const input = { ...freshState(model, BUILTIN_STATE_CODECS), clusters: new Map([['k', [1]]]), vocabulary: ['x'] } as ModelState;
    const masks = new Map([['k', Float32Array.of(0, 1)]]);
    const next = nextState(input, { masks });
    expect(next.masks).toBe(masks);
    expect(next.model).toBe(model);
    expect(next.quantization).toBe(input.quantization);
    expect(next.clusters).toBe(input.clusters);
    expect(next.vocabulary).toBe(input.vocabulary);
    expect(input.masks).not.toBe(masks);
  });

  it('stateParts is everything but the model', () => {
    const state = { ...freshState(model, codecs), extra: 1 } as ModelState;
    expect(Object.keys(stateParts(state)).sort()).toEqual(['clusters', 'extra', 'masks', 'quantization']);
  });
});
