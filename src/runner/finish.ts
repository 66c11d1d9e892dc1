import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { GZIP_LEVEL, latencyMs, sizeStats } from '../model/evaluate.js';
import { modelFiles } from '../model/io.js';
import { resolvedYaml } from '../recipe/load.js';
import { gzipSync } from 'node:zlib';
import { writeRenderedReports } from '../report/files.js';
import { layerStats } from '../report/layers.js';
import { buildReport, relativeMetrics } from '../report/report.js';
import type { Baseline, ExportedSize, Report } from '../report/report.js';
import { scalarsFromStages, scalarsToJsonl } from '../report/scalars.js';
import type { ModelState, Metrics } from '../stages/types.js';
import { writeDirAtomic, writeFileAtomic } from '../store/atomic.js';
import { readCheckpoint } from '../store/checkpoint.js';
import { checkGates } from './gates.js';
import { CONDENSE_VERSION } from '../version.js';
import type { RunContext } from './run.js';
import { decodeStageOutput } from './state-io.js';


/** What a finished run produced. */
export interface RunSummary {
  out: string;
  report: Report;
  /** 0, or 3 when a gate is not met. */
  exitCode: number;
}

/**
 * Writes the final model (masks applied, quantized as chosen), measures what the last stage did
 * not (and each stage's exported size, from its checkpoint), checks gates, and writes
 * report.json, scalars.jsonl, report.md, report.html, run.lock.json and recipe.resolved.yaml.
 */
export async function finishRun(ctx: RunContext, state: ModelState): Promise<RunSummary> {
  const { loaded, out, backend, outcomes } = ctx;
  const { recipe } = loaded;
  const files = await modelFiles(state.model, state.quantization);
  writeDirAtomic(join(out, 'model'), files);
  const final: Metrics = { ...outcomes[outcomes.length - 1]!.metrics };
  if (final.sizeBytes === undefined || final.gzipBytes === undefined) Object.assign(final, await sizeStats(state));
  if (final.latencyMs === undefined) final.latencyMs = latencyMs(state.model, ctx.data);
  const { exported, baseline } = await stageSizes(ctx, final);
  const relative = relativeMetrics(baseline.metrics, final);
  const gates = checkGates(recipe.gates, final, relative, baseline.stage);
  const report = buildReport({
    name: recipe.name, backend: backend.name, backendVersion: backend.version, seed: recipe.seed, recipeHash: loaded.hash,
    outcomes, final, gates, seconds: (Date.now() - ctx.started) / 1000,
    baseline, relative, layers: layerStats(state), exported,
  });
  const scalars = scalarsFromStages(report.stages);
  const recipeYaml = resolvedYaml(recipe);
  writeFileAtomic(join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(join(out, 'scalars.jsonl'), scalarsToJsonl(scalars));
  writeFileAtomic(join(out, 'recipe.resolved.yaml'), recipeYaml);
  // Text models take token ids: the vocabulary is what turns new text into them. It sits beside
  // model/ so that model/ holds exactly the sizeBytes the report states.
  if (ctx.data.vocabulary) {
    writeFileAtomic(join(out, 'vocab.json'), JSON.stringify({ padding: 0, unknown: 1, maxLength: ctx.data.featureSize, tokens: ctx.data.vocabulary }) + '\n');
  }
  writeRenderedReports(out, { report, scalars, recipeYaml });
  const lock = {
    name: recipe.name,
    recipeHash: loaded.hash,
    seed: recipe.seed,
    backend: { name: backend.name, version: backend.version },
    versions: { condense: CONDENSE_VERSION, tfjs: tf.version.tfjs, node: process.versions.node },
    data: { dataset: recipe.data.dataset, fingerprint: ctx.data.fingerprint },
    stages: ctx.steps.map((s, i) => ({ name: s.name, type: s.type, dir: s.dir, fingerprint: s.fingerprint, status: outcomes[i]?.status })),
  };
  writeFileAtomic(join(out, 'run.lock.json'), JSON.stringify(lock, null, 2) + '\n');
  return { out, report, exitCode: gates.every((g) => g.passed) ? 0 : 3 };
}

/**
 * Each stage's model size as exported (measured by the stage, else from its checkpoint, with the
 * quantization chosen by then), and the baseline: the first stage's metrics with the sizes of its
 * checkpoint's float32 model files, which are exactly what exporting it unquantized writes.
 */
async function stageSizes(ctx: RunContext, final: Metrics): Promise<{ exported: ExportedSize[]; baseline: Baseline }> {
  const { out, steps, outcomes } = ctx;
  const exported: ExportedSize[] = [];
  let baseline: Baseline | undefined;
  for (let i = 0; i < outcomes.length; i++) {
    const m = i === outcomes.length - 1 ? final : outcomes[i]!.metrics;
    const measured = m.sizeBytes !== undefined && m.gzipBytes !== undefined;
    // Stages measure their exported size when they run; checkpoints from before that are measured here.
    const files = !measured ? readCheckpoint(join(out, steps[i]!.dir)).files : undefined;
    if (i === 0) baseline = { stage: outcomes[0]!.stage, metrics: { ...outcomes[0]!.metrics, ...(measured ? {} : floatSizes(files!)) } };
    if (measured) {
      exported.push({ sizeBytes: m.sizeBytes!, gzipBytes: m.gzipBytes! });
      continue;
    }
    const state = await decodeStageOutput(files!);
    try {
      exported.push(await sizeStats(state));
    } finally {
      state.model.dispose();
    }
  }
  return { exported, baseline: baseline! };
}

/** Bytes of a checkpoint's float32 model files (what exporting it unquantized writes), and gzipped. */
function floatSizes(files: Map<string, Uint8Array>): { sizeBytes: number; gzipBytes: number } {
  let sizeBytes = 0;
  let gzipBytes = 0;
  for (const [name, bytes] of files) {
    if (!name.startsWith('model/')) continue;
    sizeBytes += bytes.length;
    gzipBytes += gzipSync(bytes, { level: GZIP_LEVEL }).length;
  }
  return { sizeBytes, gzipBytes };
}
