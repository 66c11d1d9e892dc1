import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { latencyMs, sizeStats } from '../model/evaluate.js';
import { modelFiles } from '../model/io.js';
import { resolvedYaml } from '../recipe/load.js';
import { renderMarkdown } from '../report/markdown.js';
import { buildReport } from '../report/report.js';
import type { Report } from '../report/report.js';
import type { ModelState, Metrics } from '../stages/types.js';
import { writeDirAtomic, writeFileAtomic } from '../store/atomic.js';
import { checkGates } from './gates.js';
import type { RunContext } from './run.js';

const require = createRequire(import.meta.url);
const CONDENSE_VERSION = (require('../../package.json') as { version: string }).version;

/** What a finished run produced. */
export interface RunSummary {
  out: string;
  report: Report;
  /** 0, or 3 when a gate is not met. */
  exitCode: number;
}

/**
 * Writes the final model (masks applied, quantized as chosen), measures what the last stage did
 * not, checks gates, and writes report.json, report.md, run.lock.json and recipe.resolved.yaml.
 */
export async function finishRun(ctx: RunContext, state: ModelState): Promise<RunSummary> {
  const { loaded, out, backend, outcomes } = ctx;
  const { recipe } = loaded;
  const files = await modelFiles(state.model, state.quantization);
  writeDirAtomic(join(out, 'model'), files);
  const final: Metrics = { ...outcomes[outcomes.length - 1]!.metrics };
  if (final.sizeBytes === undefined || final.gzipBytes === undefined) Object.assign(final, await sizeStats(state));
  if (final.latencyMs === undefined) final.latencyMs = latencyMs(state.model, ctx.data);
  const gates = checkGates(recipe.gates, final);
  const report = buildReport({
    name: recipe.name, backend: backend.name, backendVersion: backend.version, seed: recipe.seed, recipeHash: loaded.hash,
    outcomes, final, gates, seconds: (Date.now() - ctx.started) / 1000,
  });
  writeFileAtomic(join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(join(out, 'report.md'), renderMarkdown(report));
  writeFileAtomic(join(out, 'recipe.resolved.yaml'), resolvedYaml(recipe));
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
