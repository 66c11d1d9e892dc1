import type { TrialExecutor } from './run.js';
export function queueExecutor(_url: string, _log: (line: string) => void): { executor: TrialExecutor; close: () => Promise<void> } {
  throw new Error('not yet');
}
