import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import { registerFastGradients } from './gradients.js';
import { AUTO_ORDER, type BackendInfo, type BackendRequest, type ConcreteBackend } from './names.js';

export { AUTO_ORDER, BACKEND_NAMES, type BackendInfo, type BackendRequest, type ConcreteBackend } from './names.js';

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
      const version = packageVersion('@tensorflow/tfjs-node');
      const libtensorflow = (tf.backend() as { binding?: { TF_Version?: string } }).binding?.TF_Version ?? 'unknown';
      return { name, version, build: `tfjs-node ${version}; libtensorflow ${libtensorflow}` };
    }
    case 'native': {
      const native = await import('./native/index.js');
      const version = await native.registerNativeBackend();
      await activate('native');
      // the kernels native does not implement are tfjs-backend-cpu's
      const build = `${native.nativeBuildId(native.loadAddon())}; tfjs-backend-cpu ${packageVersion('@tensorflow/tfjs-backend-cpu')}`;
      return { name, version, build };
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const wasmKernels = await import('./wasm-kernels.js');
      wasmKernels.registerWasmTrainingKernels();
      await activate('wasm');
      const version = packageVersion('@tensorflow/tfjs-backend-wasm');
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      return { name, version, build: `tfjs-backend-wasm ${version}; simd=${simd}; threads=${wasm.getThreadsCount()}` };
    }
    case 'cpu': {
      await activate('cpu');
      const version = packageVersion('@tensorflow/tfjs-backend-cpu');
      return { name, version, build: `tfjs-backend-cpu ${version}` };
    }
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
