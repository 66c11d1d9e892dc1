// recipes/mobilenet-fashion.yaml on a small slice (a few hundred images, one epoch per training
// stage): it runs, shrinks the builtin mobilenet to fewer than half its MACs, adapts BN, and the
// stock loader reads the smaller export with the accuracy the report states. The full-size figure
// is measured by running the preset itself (README).
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { heldOutAccuracy, loadExported, requireSystemDep, ROOT, runCli, tempDir, useTestBackend } from './helpers.js';

// The preset ends with an optional browser evaluation; test/browser-eval.test.ts covers that, so
// these small-slice runs leave it out.
process.env.CONDENSE_BROWSER = 'off';

const FASHION = '/usr/share/datasets/fashion-mnist';

beforeAll(async () => {
  await useTestBackend();
});

describe('the mobilenet-fashion preset', () => {
  it('runs on a slice: macsRatio ≤ 0.5 gated and met, BN adapted, the export loads with the reported accuracy', async (ctx) => {
    requireSystemDep(ctx, 'dataset-fashion-mnist', existsSync(FASHION), `apt-get install dataset-fashion-mnist (${FASHION})`);
    const out = join(tempDir('condense-mobilenet-preset-'), 'out');
    const r = runCli(['run', join(ROOT, 'recipes/mobilenet-fashion.yaml'), '--out', out, '--backend', 'wasm',
      '--set', 'data.limit=500', '--set', 'stages.baseline.epochs=1', '--set', 'stages.finetune.epochs=1', '--set', 'gates.accuracyDrop.max=1']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const [baseline, shrink, finetune] = report.stages as Array<{ metrics: Record<string, number> }>;
    expect(report.gates.find((g: { metric: string }) => g.metric === 'macsRatio')).toMatchObject({ passed: true });
    expect(report.final.relative.macsRatio).toBeLessThanOrEqual(0.5);
    expect(shrink!.metrics.params! / baseline!.metrics.params!).toBeLessThan(0.6);
    expect(finetune!.metrics.bnAdaptedLayers).toBe(11);
    const { model } = await loadExported(join(out, 'model'));
    expect(model.getLayer('down_pw').getWeights()[0]!.shape).toEqual([1, 1, 21, 42]);
    expect(Math.abs(heldOutAccuracy(model, out) - report.final.metrics.accuracy)).toBeLessThanOrEqual(0.005);
    tf.dispose(model.getWeights());
  }, 240_000);
});
