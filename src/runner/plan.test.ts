import { describe, expect, it } from 'vitest';
import type { Recipe } from '../recipe/types.js';
import { StageRegistry } from '../stages/registry.js';
import type { StageDefinition } from '../stages/types.js';
import { changedFields, planStages, stageDir } from './plan.js';
import type { PlanStep, StageOnDisk } from './plan.js';

// Stage types that exist only in this file: the plan must work for any registered type.
const unused = async (): Promise<never> => {
  throw new Error('a plan never runs a stage');
};
const scaleStage = (version = 1): StageDefinition => ({
  type: 'test-scale', version, description: 'test only', properties: { factor: { type: 'number' } }, run: unused,
});
const mixStage = (version = 1): StageDefinition<{ with: string }> => ({
  type: 'test-mix', version, description: 'test only', properties: { with: { type: 'string' } },
  references: (p) => [p.with], run: unused,
});

function registry(versions: { scale?: number; mix?: number } = {}, mixOrigin?: string): StageRegistry {
  return new StageRegistry().register(scaleStage(versions.scale)).register(mixStage(versions.mix), { origin: mixOrigin });
}

/** a (scale) → b (mix, reads a) → c (scale). */
function recipe(over: { b?: Record<string, unknown>; seed?: number } = {}): Recipe {
  return {
    seed: over.seed ?? 5,
    stages: [
      { name: 'a', type: 'test-scale', factor: 2 },
      { name: 'b', type: 'test-mix', with: 'a', ...over.b },
      { name: 'c', type: 'test-scale', factor: 3 },
    ],
  } as unknown as Recipe;
}

const INPUTS = { initial: 'initial-fp', data: 'data-fp', backendBuild: 'build-1' };
const NOTHING: StageOnDisk = { checkpoint: { kind: 'missing' } };

/** The disk as a finished run of `steps` leaves it (what stage-run records in each checkpoint). */
function diskAfter(steps: PlanStep[], rec: Recipe, extra: Record<string, Partial<StageOnDisk>> = {}): (dir: string) => StageOnDisk {
  const byDir = new Map<string, StageOnDisk>(steps.map((s) => {
    const { name: _n, type: _t, ...params } = rec.stages[s.index]!;
    return [s.dir, { checkpoint: { kind: 'valid', fingerprint: s.fingerprint, params, provenance: s.provenance } }];
  }));
  return (dir) => ({ ...(byDir.get(dir) ?? NOTHING), ...extra[dir] });
}

const summary = (steps: PlanStep[]) => steps.map((s) => `${s.name}:${s.action}:${s.reason}`);

describe('planStages', () => {
  const first = planStages(recipe(), registry(), INPUTS, () => NOTHING);

  it('runs every stage when nothing is on disk, in numbered directories', () => {
    expect(summary(first)).toEqual(['a:run:no checkpoint', 'b:run:no checkpoint', 'c:run:no checkpoint']);
    expect(first.map((s) => s.dir)).toEqual(['stages/01-a', 'stages/02-b', 'stages/03-c']);
    expect(stageDir(11, 'x')).toBe('stages/12-x');
    expect(new Set(first.map((s) => s.fingerprint)).size).toBe(3);
  });

  it('caches every stage whose checkpoint has its fingerprint', () => {
    const again = planStages(recipe(), registry(), INPUTS, diskAfter(first, recipe()));
    expect(summary(again)).toEqual(['a:cached:checkpoint matches', 'b:cached:checkpoint matches', 'c:cached:checkpoint matches']);
    expect(again.map((s) => s.fingerprint)).toEqual(first.map((s) => s.fingerprint));
  });

  it('an invalid checkpoint reruns with its reason; later checkpoints, chained by inputs, stay valid', () => {
    const disk = diskAfter(first, recipe(), { 'stages/02-b': { checkpoint: { kind: 'invalid', reason: 'model.json is missing' } } });
    expect(summary(planStages(recipe(), registry(), INPUTS, disk))).toEqual([
      'a:cached:checkpoint matches',
      'b:run:checkpoint invalid (model.json is missing); recomputing',
      'c:cached:checkpoint matches',
    ]);
  });

  it('a changed field is named, and only the stages from there on rerun', () => {
    const changed = recipe({ b: { with: 'a', extra: true } });
    expect(summary(planStages(changed, registry(), INPUTS, diskAfter(first, recipe())))).toEqual([
      'a:cached:checkpoint matches', 'b:run:changed: extra', 'c:run:an earlier stage runs',
    ]);
    expect(changedFields({ x: 1, y: [1, 2], z: { a: 1, b: 2 } }, { y: [1, 2], x: 2, z: { b: 2, a: 1 }, w: 0 })).toEqual(['w', 'x']);
  });

  it('a different input with the same fields says so (here: the seed)', () => {
    expect(summary(planStages(recipe({ seed: 6 }), registry(), INPUTS, diskAfter(first, recipe())))).toEqual([
      'a:run:its input changed', 'b:run:an earlier stage runs', 'c:run:an earlier stage runs',
    ]);
  });

  it('a referenced stage enters the fingerprint', () => {
    const other = planStages(recipe({ b: { with: 'c' } }), registry(), INPUTS, () => NOTHING);
    expect(other[1]!.fingerprint).not.toBe(first[1]!.fingerprint);
    expect(other[2]!.fingerprint).not.toBe(first[2]!.fingerprint);
  });
});

describe('planStages with epoch checkpoints', () => {
  const first = planStages(recipe(), registry(), INPUTS, () => NOTHING);
  const interrupted = (fingerprint: string) => diskAfter(first.slice(0, 1), recipe(), { 'stages/02-b': { snapshot: { epoch: 2, fingerprint } } });

  it('--resume continues a stage whose snapshot matches; later stages run', () => {
    const steps = planStages(recipe(), registry(), { ...INPUTS, resume: true }, interrupted(first[1]!.fingerprint));
    expect(summary(steps)).toEqual(['a:cached:checkpoint matches', 'b:resume:continues after epoch 2', 'c:run:no checkpoint']);
    expect(steps[1]!.resumeEpoch).toBe(2);
    expect(steps.some((s) => s.conflict)).toBe(false);
  });

  it('without --resume the stage restarts, saying how to continue', () => {
    const steps = planStages(recipe(), registry(), INPUTS, interrupted(first[1]!.fingerprint));
    expect(steps[1]!.action).toBe('run');
    expect(steps[1]!.reason).toBe('no checkpoint; an interrupted run stopped after epoch 2: restarting (use --resume to continue it)');
    expect(steps[1]!.conflict).toBeUndefined();
  });

  it('--resume with a snapshot of another fingerprint is a conflict naming both', () => {
    const steps = planStages(recipe(), registry(), { ...INPUTS, resume: true }, interrupted('f'.repeat(64)));
    expect(steps[1]!.action).toBe('run');
    expect(steps[1]!.conflict).toBe(
      `stage "b" has an epoch checkpoint written for a different recipe or input (fingerprint ${'f'.repeat(12)}…, now ${first[1]!.fingerprint.slice(0, 12)}…)`,
    );
  });

  it('does not resume a stage whose upstream runs', () => {
    const disk = (dir: string): StageOnDisk => (dir === 'stages/02-b' ? { checkpoint: { kind: 'missing' }, snapshot: { epoch: 2, fingerprint: first[1]!.fingerprint } } : NOTHING);
    const steps = planStages(recipe(), registry(), { ...INPUTS, resume: true }, disk);
    expect(steps.map((s) => s.action)).toEqual(['run', 'run', 'run']);
  });
});

describe('planStages and provenance', () => {
  const first = planStages(recipe(), registry(), INPUTS, () => NOTHING);
  const disk = diskAfter(first, recipe());

  it('records condense, stage version and backend build in each step', () => {
    expect(first[0]!.provenance).toMatchObject({ stageVersion: '1', backend: 'build-1' });
    expect(first[0]!.provenance.condense).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unchanged backend build keeps every stage cached', () => {
    expect(planStages(recipe(), registry(), { ...INPUTS, backendBuild: 'build-1' }, disk).map((s) => s.action)).toEqual(['cached', 'cached', 'cached']);
  });

  it('another backend build is the reason for EVERY stage, not only the first', () => {
    const steps = planStages(recipe(), registry(), { ...INPUTS, backendBuild: 'build-2' }, disk);
    expect(steps.map((s) => s.action)).toEqual(['run', 'run', 'run']);
    for (const s of steps) expect(s.reason).toBe('backend build changed (build-1 → build-2)');
  });

  it('a raised stage version reruns that stage and the ones after; nothing else', () => {
    const steps = planStages(recipe(), registry({ mix: 2 }), INPUTS, disk);
    expect(summary(steps)).toEqual(['a:cached:checkpoint matches', 'b:run:stage version changed (1 → 2)', 'c:run:an earlier stage runs']);
  });

  it('a raised version of a type used twice names it for both of its stages', () => {
    const steps = planStages(recipe(), registry({ scale: 3 }), INPUTS, disk);
    expect(summary(steps)).toEqual(['a:run:stage version changed (1 → 3)', 'b:run:an earlier stage runs', 'c:run:stage version changed (1 → 3)']);
  });

  it('another plugin file behind a stage type reruns it, naming the hashes', () => {
    const before = planStages(recipe(), registry({}, 'a'.repeat(64)), INPUTS, () => NOTHING);
    const steps = planStages(recipe(), registry({}, 'b'.repeat(64)), INPUTS, diskAfter(before, recipe()));
    expect(steps[1]!.provenance.plugin).toBe('b'.repeat(64));
    expect(summary(steps)).toEqual([
      'a:cached:checkpoint matches', `b:run:plugin changed (sha256 ${'a'.repeat(12)}… → ${'b'.repeat(12)}…)`, 'c:run:an earlier stage runs',
    ]);
  });
});
