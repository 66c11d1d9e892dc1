import { describe, expect, it } from 'vitest';
import { CONDENSE_VERSION } from '../version.js';
import { initialFingerprint, provenanceChange, provenanceOf, stageFingerprint } from './fingerprint.js';
import type { Provenance, StageInputs } from './fingerprint.js';

const PROVENANCE: Provenance = { condense: '1.0.0', stageVersion: '1', backend: 'wasm 4.22', plugin: 'p'.repeat(64) };
const BASE: StageInputs = {
  stage: { name: 'prune', type: 'prune', sparsity: 0.5, schedule: { kind: 'oneShot', power: 3 } },
  input: 'in', references: ['teacher-fp'], data: 'data-fp', seed: 7, provenance: PROVENANCE,
};
const base = stageFingerprint(BASE);

describe('stageFingerprint', () => {
  it('is a sha256 and the same for the same inputs', () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(stageFingerprint(structuredClone(BASE))).toBe(base);
  });

  it('does not depend on key order, at any depth', () => {
    const reordered: StageInputs = {
      provenance: { plugin: PROVENANCE.plugin, backend: 'wasm 4.22', stageVersion: '1', condense: '1.0.0' },
      seed: 7, data: 'data-fp', references: ['teacher-fp'], input: 'in',
      stage: { schedule: { power: 3, kind: 'oneShot' }, sparsity: 0.5, type: 'prune', name: 'prune' },
    };
    expect(stageFingerprint(reordered)).toBe(base);
  });

  const variants: Array<[string, Partial<StageInputs>]> = [
    ['a param', { stage: { ...BASE.stage, sparsity: 0.6 } }],
    ['a nested param', { stage: { ...BASE.stage, schedule: { kind: 'oneShot', power: 2 } } }],
    ['an added param', { stage: { ...BASE.stage, exclude: [] } }],
    ['the stage name', { stage: { ...BASE.stage, name: 'prune2' } }],
    ['the stage type', { stage: { ...BASE.stage, type: 'prune-x' } }],
    ['the input', { input: 'in2' }],
    ['a reference', { references: ['other-fp'] }],
    ['no reference', { references: [] }],
    ['the data', { data: 'data-fp2' }],
    ['the seed', { seed: 8 }],
    ['condense', { provenance: { ...PROVENANCE, condense: '1.0.1' } }],
    ['the stage version', { provenance: { ...PROVENANCE, stageVersion: '2' } }],
    ['the backend build', { provenance: { ...PROVENANCE, backend: 'wasm 4.23' } }],
    ['the plugin', { provenance: { ...PROVENANCE, plugin: 'q'.repeat(64) } }],
    ['no plugin', { provenance: { condense: '1.0.0', stageVersion: '1', backend: 'wasm 4.22' } }],
  ];
  it.each(variants)('changes with %s', (_what, change) => {
    expect(stageFingerprint({ ...BASE, ...change })).not.toBe(base);
  });

  it('gives each variant its own fingerprint', () => {
    const all = variants.map(([, change]) => stageFingerprint({ ...BASE, ...change }));
    expect(new Set([base, ...all]).size).toBe(variants.length + 1);
  });
});

describe('initialFingerprint', () => {
  const model = { builtin: 'mlp', hidden: [16] };
  const initial = initialFingerprint(model, undefined, 'd', 1, 'b');
  it('changes with the model, its file, the data, the seed and the backend build; not with key order', () => {
    expect(initialFingerprint({ hidden: [16], builtin: 'mlp' }, undefined, 'd', 1, 'b')).toBe(initial);
    const others = [
      initialFingerprint({ builtin: 'mlp', hidden: [8] }, undefined, 'd', 1, 'b'),
      initialFingerprint(model, 'file-hash', 'd', 1, 'b'),
      initialFingerprint(model, undefined, 'd2', 1, 'b'),
      initialFingerprint(model, undefined, 'd', 2, 'b'),
      initialFingerprint(model, undefined, 'd', 1, 'b2'),
    ];
    expect(new Set([initial, ...others]).size).toBe(6);
  });
});

describe('provenanceOf', () => {
  it('records condense, the stage version as text, the backend build and a plugin only when there is one', () => {
    expect(provenanceOf(3, 'native x')).toEqual({ condense: CONDENSE_VERSION, stageVersion: '3', backend: 'native x' });
    expect(provenanceOf(1, 'b', 'abc')).toEqual({ condense: CONDENSE_VERSION, stageVersion: '1', backend: 'b', plugin: 'abc' });
  });
});

describe('provenanceChange', () => {
  const now: Provenance = { condense: '2.0.0', stageVersion: '2', backend: 'native b2' };

  it('says nothing for a checkpoint that recorded no provenance, or the same one', () => {
    expect(provenanceChange(undefined, now)).toBeUndefined();
    expect(provenanceChange({ ...now }, now)).toBeUndefined();
  });

  it('names the part that changed, with both values', () => {
    expect(provenanceChange({ ...now, backend: 'native b1' }, now)).toBe('backend build changed (native b1 → native b2)');
    expect(provenanceChange({ ...now, backend: 'native 0.1.0; blas=openblas 0.3.21; cc=gcc 12' }, { ...now, backend: 'native 0.1.0; blas=portable; cc=gcc 12' }))
      .toBe('backend build changed (blas=openblas 0.3.21 → blas=portable)');
    expect(provenanceChange({ ...now, stageVersion: '1' }, now)).toBe('stage version changed (1 → 2)');
    expect(provenanceChange({ ...now, condense: '1.9.0' }, now)).toBe('condense version changed (1.9.0 → 2.0.0)');
    expect(provenanceChange({ ...now, plugin: 'a'.repeat(64) }, { ...now, plugin: 'b'.repeat(64) }))
      .toBe(`plugin changed (sha256 ${'a'.repeat(12)}… → ${'b'.repeat(12)}…)`);
    expect(provenanceChange(now, { ...now, plugin: 'c'.repeat(64) })).toBe(`plugin changed (sha256 none → ${'c'.repeat(12)}…)`);
  });

  it('calls a field the checkpoint lacks unrecorded', () => {
    expect(provenanceChange({ condense: '2.0.0', stageVersion: '2' }, now)).toBe('backend build changed (unrecorded → native b2)');
    expect(provenanceChange({ condense: '2.0.0', backend: 'native b2' }, now)).toBe('stage version changed (unrecorded → 2)');
  });

  it('names the backend first when several changed: it explains every stage at once', () => {
    expect(provenanceChange({ condense: '1.0.0', stageVersion: '1', backend: 'b0' }, now)).toMatch(/^backend build changed/);
  });
});
