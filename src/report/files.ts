import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { renderHtml } from './html.js';
import type { HtmlInputs } from './html.js';
import { renderMarkdown } from './markdown.js';
import { normalizeReport } from './report.js';
import type { Report } from './report.js';
import { parseScalars, scalarsFromStages } from './scalars.js';

/** What the reports of a run are rendered from, read from its directory alone (no model loaded). */
export function readRunInputs(dir: string): HtmlInputs {
  let report: Report;
  try {
    report = normalizeReport(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report);
  } catch {
    throw new UsageError(`${dir} has no readable report.json`, { hint: 'give a run directory written by condense run' });
  }
  const scalarsFile = join(dir, 'scalars.jsonl');
  let scalars;
  try {
    // Runs from before scalars.jsonl existed: the same scalars from report.json's histories.
    scalars = existsSync(scalarsFile) ? parseScalars(readFileSync(scalarsFile, 'utf8')) : scalarsFromStages(report.stages);
  } catch (err) {
    throw new UsageError(`${scalarsFile}: ${(err as Error).message}`);
  }
  const recipeFile = join(dir, 'recipe.resolved.yaml');
  const recipeYaml = existsSync(recipeFile) ? readFileSync(recipeFile, 'utf8') : undefined;
  return { report, scalars, ...(recipeYaml !== undefined ? { recipeYaml } : {}) };
}

/** Writes report.md and report.html into `dir`, each atomically; returns the paths written. */
export function writeRenderedReports(dir: string, inputs: HtmlInputs): string[] {
  const md = join(dir, 'report.md');
  const html = join(dir, 'report.html');
  writeFileAtomic(md, renderMarkdown(inputs.report));
  writeFileAtomic(html, renderHtml(inputs));
  return [md, html];
}
