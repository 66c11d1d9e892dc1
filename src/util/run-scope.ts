// Resources that live for one run rather than one stage (a browser and its server, started by the
// first stage that needs them): released by the runner when the run ends, however it ends.

type Disposer = () => Promise<void> | void;

const disposers = new Set<Disposer>();

/** Registers `dispose` to run when the current run ends; returns a function that unregisters it. */
export function onRunEnd(dispose: Disposer): () => void {
  disposers.add(dispose);
  return () => disposers.delete(dispose);
}

/**
 * Runs and forgets every registered disposer (newest first). One that throws does not stop the
 * others; the first error is rethrown after all ran.
 */
export async function endRunScope(): Promise<void> {
  const pending = [...disposers].reverse();
  disposers.clear();
  let first: unknown;
  for (const dispose of pending) {
    try {
      await dispose();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}
