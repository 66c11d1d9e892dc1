// Test files in an order that keeps both workers busy to the end: the slowest files (as measured
// in CI, slowest first) start first, the rest follow in vitest's own order. A clean clone has no
// vitest timing cache, and vitest then orders by file size, which leaves small slow files (a
// browser or CLI run in a few lines) for last, one worker idle while the other finishes them.
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

/** Slowest first, from a CI run (ms per file): update when a file's time changes much. */
const SLOW_FIRST = [
  'test/resume.test.ts', 'test/queue.test.ts', 'test/browser-structured.test.ts', 'test/own-model-example.test.ts',
  'test/browser-eval.test.ts', 'test/model-files.test.ts', 'test/plugins.test.ts', 'test/shared-cache.test.ts',
  'test/bert.test.ts', 'test/data-forms.test.ts', 'test/sweep.test.ts', 'test/doctor-cli.test.ts', 'test/reproduce.test.ts',
  'test/distill-hidden.test.ts', 'test/paper-presets.test.ts', 'test/runner-paths.test.ts', 'test/graph-input.test.ts',
];

const rank = (spec: TestSpecification) => {
  const i = SLOW_FIRST.findIndex((f) => spec.moduleId.endsWith(f));
  return i < 0 ? SLOW_FIRST.length : i;
};

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return sorted.map((spec, i) => ({ spec, i })).sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i).map((e) => e.spec);
  }
}
