import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { renderMarkdown } from '../report/markdown.js';
import type { Report } from '../report/report.js';
import { writeFileAtomic } from '../store/atomic.js';

/** `condense report`: re-renders report.md from the run directory's report.json. */
export async function reportCommand(dir: string): Promise<void> {
  let report: Report;
  try {
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  } catch {
    throw new UsageError(`${dir} has no readable report.json`, { hint: 'give a run directory written by condense run' });
  }
  writeFileAtomic(join(dir, 'report.md'), renderMarkdown(report));
  process.stdout.write(`wrote ${join(dir, 'report.md')}\n`);
}
