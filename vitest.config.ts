import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/sequencer.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // A fresh CONDENSE_CACHE per test: no test shares stages with another or with the user.
    setupFiles: ['test/setup-cache.ts'],
    // TF.js keeps one global backend per process: each test file gets its own process.
    pool: 'forks',
    maxWorkers: 2,
    sequence: { sequencer: SlowFirstSequencer },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
