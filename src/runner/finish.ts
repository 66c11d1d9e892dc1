import { join, relative, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { brotliSize, filesSize, LATENCY_BATCH, latencyMs, layerStats, sizeStats } from '../model/inspect.js';
import { modelFiles } from '../model/io.js';
import { resolvedYaml } from '../recipe/load.js';
import { writeRenderedReports } from '../report/files.js';
import { checkGates } from '../report/gates.js';
import { buildReport, relativeMetrics } from '../report/report.js';
import { scalarsFromStages, scalarsToJsonl } from '../report/scalars.js';
import { writeDirAtomic, writeFileAtomic } from '../store/atomic.js';
import { readCheckpoint } from '../store/checkpoint.js';
import type { ModelState } from '../types/model-state.js';
import type { Baseline, BrowserResult, ExportedSize, Metrics, Report, StageOutcome } from '../types/records.js';
import { CONDENSE_VERSION } from '../version.js';
import type { RunContext } from './context.js';
import { decodeStageOutput } from './state-io.js';
import { dataFor } from '../state/vocabulary.js';

/** Batch-32 predictions timed for the final `latencyMs32` (each costs about 32 batch-1 ones). */
const LATENCY_RUNS_32 = 10;

/** What a finished run produced. */
export interface RunSummary {
  out: string;
  report: Report;
  /** 0, or 3 when a gate is not met. */
  exitCode: number;
}

/**
 * Writes the final model (masks applied, quantized as chosen), measures what the last stage did
 * not, checks gates, builds the report once and hands it to every writer: report.json,
 * scalars.jsonl, report.md, report.html, run.lock.json and recipe.resolved.yaml.
 */
export async function finishRun(run: RunContext, outcomes: StageOutcome[], state: ModelState, input?: Baseline, exported?: Map<string, Uint8Array>): Promise<RunSummary> {
  const { loaded, out } = run;
  // The last stage's commit measured these very files when it changed the model.
  const files = exported ?? await modelFiles(state.model, state.quantization);
  writeDirAtomic(join(out, 'model'), files);
  const final: Metrics = { ...outcomes.at(-1)!.metrics };
  if (final.sizeBytes === undefined || final.gzipBytes === undefined) Object.assign(final, filesSize(files));
  if (final.latencyMs === undefined) final.latencyMs = latencyMs(state.model, run.data);
  // Brotli 11 costs ~2–6 s per MB of float32 weights, too much for every run: the final model gets
  // it when a stage of the run measured it (an evaluate) and a later stage changed the model.
  if (final.brotliBytes === undefined && outcomes.some((o) => o.metrics.brotliBytes !== undefined)) final.brotliBytes = brotliSize(files);
  if (final.latencyMs32 === undefined) final.latencyMs32 = latencyMs(state.model, run.data, LATENCY_RUNS_32, LATENCY_BATCH);
  const report = await runReport(run, outcomes, final, state, input);
  const scalars = scalarsFromStages(report.stages);
  const recipeYaml = resolvedYaml(loaded.recipe);
  writeFileAtomic(join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(join(out, 'scalars.jsonl'), scalarsToJsonl(scalars));
  writeFileAtomic(join(out, 'recipe.resolved.yaml'), recipeYaml);
  // Text models take token ids: the vocabulary is what turns new text into them. It sits beside
  // model/ so that model/ holds exactly the sizeBytes the report states.
  // A trim-vocabulary stage renumbered the tokens: the final model's vocabulary is the one to write.
  const { vocabulary } = dataFor(run.data, state);
  if (vocabulary) {
    writeFileAtomic(join(out, 'vocab.json'), JSON.stringify({ padding: 0, unknown: 1, maxLength: run.data.featureSize, tokens: vocabulary }) + '\n');
  }
  writeRenderedReports(out, { report, scalars, recipeYaml });
  writeFileAtomic(join(out, 'run.lock.json'), JSON.stringify(runLock(run, outcomes), null, 2) + '\n');
  return { out, report, exitCode: report.gates.every((g) => g.passed) ? 0 : 3 };
}

async function runReport(run: RunContext, outcomes: StageOutcome[], final: Metrics, state: ModelState, input?: Baseline): Promise<Report> {
  const { recipe } = run.loaded;
  const sizes = await stageSizes(run, outcomes, final);
  const { exported } = sizes;
  const baseline = input ?? sizes.baseline;
  const relative = relativeMetrics(baseline.metrics, final);
  const browser = finalBrowser(run, outcomes);
  return buildReport({
    name: recipe.name, backend: run.backend.name, backendVersion: run.backend.version, seed: recipe.seed, recipeHash: run.loaded.hash,
    outcomes, final, gates: checkGates(recipe.gates, final, relative, baseline.stage, browser), seconds: (Date.now() - run.started) / 1000,
    baseline, relative, layers: layerStats(state), exported, browser, teachers: teacherStages(run, outcomes),
  });
}

/** For each outcome of a distill stage whose teacher is `stage:<name>`, that name. */
function teacherStages(run: RunContext, outcomes: StageOutcome[]): Array<string | undefined> {
  const specs = new Map(run.loaded.recipe.stages.map((s) => [s.name, s as { teacher?: unknown }]));
  return outcomes.map((o) => {
    const teacher = o.type === 'distill' ? specs.get(o.stage)?.teacher : undefined;
    return typeof teacher === 'string' && teacher.startsWith('stage:') ? teacher.slice('stage:'.length) : undefined;
  });
}

/** The browser figures of the final model: the last stage's that measured them, unless a stage after it changed the model. */
function finalBrowser(run: RunContext, outcomes: StageOutcome[]): BrowserResult | undefined {
  for (const outcome of [...outcomes].reverse()) {
    if (outcome.browser && !outcome.browser.skipped) return outcome.browser;
    if (run.registry.get(outcome.type)?.changesModel !== false) return undefined;
  }
  return undefined;
}

/** Version of run.lock.json's layout (schemas/lock.schema.json). */
export const LOCK_VERSION = 1;

/** run.lock.json: what the run was made of, to reproduce it. */
function runLock(run: RunContext, outcomes: StageOutcome[]) {
  const { recipe, hash } = run.loaded;
  return {
    // The layout of this file: schemas/lock.schema.json, bumped when a field changes meaning.
    lockVersion: LOCK_VERSION,
    name: recipe.name,
    recipeHash: hash,
    recipe: { path: relative(run.out, run.loaded.file).split(sep).join('/'), set: run.loaded.overrides },
    // Every file the recipe was composed from (preset packages with name and version), hashed.
    sources: run.loaded.files,
    seed: recipe.seed,
    backend: { name: run.backend.name, version: run.backend.version, build: run.backendBuild },
    versions: { condense: CONDENSE_VERSION, tfjs: tf.version.tfjs, node: process.versions.node },
    data: { dataset: recipe.data.dataset, fingerprint: run.data.fingerprint },
    // Paths relative to the recipe, so the lock reads the same on every machine.
    plugins: run.loaded.plugins.map((p) => ({ ...p, path: relative(run.loaded.dir, p.path).split(sep).join('/') })),
    stages: run.steps.map((s, i) => ({ name: s.name, type: s.type, dir: s.dir, fingerprint: s.fingerprint, provenance: s.provenance, status: outcomes[i]?.status })),
  };
}

/**
 * Each stage's model size as exported (measured by the stage, else from its checkpoint, with the
 * quantization chosen by then), and the baseline: the first stage's metrics with the sizes of its
 * checkpoint's float32 model files, which are exactly what exporting it unquantized writes.
 */
async function stageSizes(run: RunContext, outcomes: StageOutcome[], final: Metrics): Promise<{ exported: ExportedSize[]; baseline: Baseline }> {
  const exported: ExportedSize[] = [];
  let baseline: Baseline | undefined;
  for (let i = 0; i < outcomes.length; i++) {
    const m = i === outcomes.length - 1 ? final : outcomes[i]!.metrics;
    const measured = m.sizeBytes !== undefined && m.gzipBytes !== undefined;
    // Stages measure their exported size when they run; checkpoints from before that are measured here.
    const files = !measured ? readCheckpoint(join(run.out, run.steps[i]!.dir)).files : undefined;
    if (i === 0) baseline = { stage: outcomes[0]!.stage, metrics: { ...outcomes[0]!.metrics, ...(measured ? {} : floatSizes(files!)) } };
    if (measured) {
      exported.push({ sizeBytes: m.sizeBytes!, gzipBytes: m.gzipBytes! });
      continue;
    }
    const state = await decodeStageOutput(files!, run.codecs, run.kinds, run.data.inputShape);
    try {
      exported.push(await sizeStats(state));
    } finally {
      state.model.dispose();
    }
  }
  return { exported, baseline: baseline! };
}

/** Bytes of a checkpoint's float32 model files (what exporting it unquantized writes), and gzipped. */
function floatSizes(files: Map<string, Uint8Array>): ExportedSize {
  return filesSize(new Map([...files].filter(([name]) => name.startsWith('model/'))));
}
