import { UsageError } from '../errors.js';
import { compareRuns, loadRun, renderCompareHtml, renderCompareText } from '../report/compare.js';
import { writeFileAtomic } from '../store/atomic.js';

interface CompareFlags {
  json?: boolean;
  html?: string;
}

/**
 * `condense compare`: runs side by side: the recipe values that differ and the final metrics
 * with their change from the first run; `--json` prints it as JSON, `--html FILE` writes a page.
 */
export async function compareCommand(dirs: string[], flags: CompareFlags): Promise<void> {
  if (dirs.length < 2) throw new UsageError('compare needs at least two run directories', { hint: 'condense compare runs/a runs/b' });
  const runs = dirs.map((dir) => loadRun(dir));
  // Same directory names (runs/x/tiny, runs/y/tiny) would make the columns ambiguous.
  const seen = new Map<string, number>();
  for (const r of runs) seen.set(r.label, (seen.get(r.label) ?? 0) + 1);
  runs.forEach((r, i) => {
    if (seen.get(r.label)! > 1) r.label = `${r.label}#${i + 1}`;
  });
  const comparison = compareRuns(runs);
  if (flags.html) writeFileAtomic(flags.html, renderCompareHtml(comparison));
  process.stdout.write(flags.json ? JSON.stringify(comparison, null, 2) + '\n' : renderCompareText(comparison));
  if (flags.html && !flags.json) process.stdout.write(`wrote ${flags.html}\n`);
}
