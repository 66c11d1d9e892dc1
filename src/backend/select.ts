import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import { registerFastGradients } from './gradients.js';

/** Backend names a recipe or `--backend` may ask for. `auto` picks the fastest one that loads. */
export const BACKEND_NAMES = ['auto', 'tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendRequest = (typeof BACKEND_NAMES)[number];
export type ConcreteBackend = Exclude<BackendRequest, 'auto'>;

/** Order in which `auto` tries backends: compiled first, plain JS last. */
export const AUTO_ORDER: ConcreteBackend[] = ['tensorflow', 'native', 'wasm', 'cpu'];

/** The backend that ended up running, as recorded in reports and run.lock.json. */
export interface BackendInfo {
  name: ConcreteBackend;
  /** Version of the package that provides it. */
  version: string;
}

const require = createRequire(import.meta.url);

function packageVersion(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Loads one backend and makes it current; throws with the reason when it cannot load here. */
export async function loadBackend(name: ConcreteBackend): Promise<BackendInfo> {
  // TF.js prints a "install tfjs-node" banner on first use of the cpu backend; PROD silences it
  // and skips debug-only checks.
  tf.env().set('PROD', true);
  registerFastGradients();
  switch (name) {
    case 'tensorflow': {
      await import('@tensorflow/tfjs-node' as string);
      await activate('tensorflow');
      return { name, version: packageVersion('@tensorflow/tfjs-node') };
    }
    case 'native': {
      const native = await import('./native/index.js');
      const version = await native.registerNativeBackend();
      await activate('native');
      return { name, version };
    }
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      const wasmKernels = await import('./wasm-kernels.js');
      wasmKernels.registerWasmTrainingKernels();
      await activate('wasm');
      return { name, version: packageVersion('@tensorflow/tfjs-backend-wasm') };
    }
    case 'cpu':
      await activate('cpu');
      return { name, version: packageVersion('@tensorflow/tfjs-backend-cpu') };
  }
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}

/**
 * Selects the backend for a run. `auto` tries {@link AUTO_ORDER} and takes the first that loads;
 * a named backend that cannot load is a usage error (exit 2) that says why.
 */
export async function selectBackend(request: BackendRequest): Promise<BackendInfo> {
  if (request !== 'auto') {
    try {
      return await loadBackend(request);
    } catch (err) {
      throw new UsageError(`backend "${request}" cannot load here: ${reason(err)}`, {
        hint: 'use --backend auto, or run `condense doctor` to see which backends load',
      });
    }
  }
  const failures: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      return await loadBackend(name);
    } catch (err) {
      failures.push(`${name}: ${reason(err)}`);
    }
  }
  throw new UsageError(`no backend could load:\n  ${failures.join('\n  ')}`);
}

/** One line of why a backend failed to load. */
export function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
