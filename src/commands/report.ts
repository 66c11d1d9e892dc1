import { readRunInputs, writeRenderedReports } from '../report/files.js';

/**
 * `condense report`: re-renders report.md and report.html from the run directory alone
 * (report.json, scalars.jsonl, recipe.resolved.yaml); no model is loaded.
 */
export async function reportCommand(dir: string): Promise<void> {
  const t0 = performance.now();
  const written = writeRenderedReports(dir, readRunInputs(dir));
  const ms = performance.now() - t0;
  process.stdout.write(`${written.map((f) => `wrote ${f}`).join('\n')}\n(rendered in ${ms.toFixed(1)} ms)\n`);
}
