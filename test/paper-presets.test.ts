import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExported, ROOT, runCli, tempDir } from './helpers.js';

// The preset ends with an optional browser evaluation; test/browser-eval.test.ts covers that, so
// these small-slice runs leave it out.
process.env.CONDENSE_BROWSER = 'off';

const BACKEND = process.env.CONDENSE_TEST_BACKEND ?? 'wasm';
const set = (...pairs: string[]) => pairs.flatMap((s) => ['--set', s]);

/** Runs a shipped preset on a slice; its report.json. */
function runPreset(name: string, overrides: string[]) {
  const out = tempDir();
  const r = runCli(['run', join(ROOT, `recipes/${name}.yaml`), '--out', out, '--backend', BACKEND, '--json', ...overrides]);
  expect(r.code, r.stderr).toBe(0);
  return { out, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) };
}

describe('paper presets on a slice', () => {
  it('hinton-distill: a 1200-1200 teacher, a fresh 800-800 student alone and one distilled; the gap closed is read from report.json', () => {
    const { report } = runPreset('hinton-distill', set('data.limit=800', 'stages.teacher.epochs=1', 'stages.student-alone.epochs=1', 'stages.distill.epochs=2'));
    expect(report.stages.map((s: { name: string }) => s.name)).toEqual(['teacher', 'student-alone', 'distill', 'final']);
    const byName = new Map(report.stages.map((s: { name: string }) => [s.name, s]));
    // The distilled student's transfer set is jittered anew each epoch, so the teacher labels every
    // batch of both epochs (640 training digits: 5 batches of 128 per epoch); a cache would stop at 5.
    expect((byName.get('distill') as { metrics: { teacherBatches: number } }).metrics.teacherBatches).toBe(10);
    const params = (n: string) => (byName.get(n) as { metrics: { params: number } }).metrics.params;
    expect(params('teacher')).toBe(784 * 1200 + 1200 + 1200 * 1200 + 1200 + 1200 * 10 + 10);
    expect(params('student-alone')).toBe(784 * 800 + 800 + 800 * 800 + 800 + 800 * 10 + 10);
    expect(params('distill')).toBe(params('student-alone'));
    const errors = (n: string) => Math.round((1 - (byName.get(n) as { metrics: { accuracy: number } }).metrics.accuracy) * 200);
    // Two students from different seeds and losses: they are not the same model.
    expect((byName.get('distill') as { metrics: { loss: number } }).metrics.loss).not.toBe((byName.get('student-alone') as { metrics: { loss: number } }).metrics.loss);
    expect(Number.isFinite(errors('teacher') + errors('student-alone') + errors('distill'))).toBe(true);
  }, 240_000);

  it('deep-compression-lenet5: the Caffe LeNet-5 (431,080 weights), ≥ 12× fewer nonzeros, ≤ 16 values per exported kernel', async () => {
    const { out, report } = runPreset('deep-compression-lenet5', set('data.limit=600', 'stages.baseline.epochs=1', 'stages.prune.schedule.epochs=1',
      'stages.finetune.epochs=1', 'stages.finetune-shared.epochs=1', 'gates.accuracyDrop.max=1', 'gates.downloadRatio.max=1'));
    expect(report.stages[0].metrics.params).toBe(431_080);
    expect(report.stages[0].metrics.nonzeroParams / report.final.metrics.nonzeroParams).toBeGreaterThanOrEqual(12);
    expect(report.final.relative.downloadRatio).toBeCloseTo(Math.min(report.final.metrics.brotliBytes, report.final.metrics.gzipBytes) / report.baseline.metrics.sizeBytes, 9);
    const { model } = await loadExported(join(out, 'model'));
    const kernels = model.layers.map((l) => l.getWeights()[0]).filter((k) => k !== undefined);
    expect(kernels).toHaveLength(4);
    for (const k of kernels) expect(new Set(k.dataSync()).size).toBeLessThanOrEqual(16);
    model.dispose();
  }, 240_000);
});
