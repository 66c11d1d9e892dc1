// Backend names and the record of the backend a run used. Free of TF.js imports, so that reading
// and validating a recipe (or building the CLI) does not load TensorFlow.js.

/** Backend names a recipe or `--backend` may ask for. `auto` picks the fastest one that loads. */
export const BACKEND_NAMES = ['auto', 'tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendRequest = (typeof BACKEND_NAMES)[number];
export type ConcreteBackend = Exclude<BackendRequest, 'auto'>;

/** Order in which `auto` tries backends: compiled first, plain JS last. */
export const AUTO_ORDER: ConcreteBackend[] = ['tensorflow', 'native', 'wasm', 'cpu'];

/** The backend that ended up running, as recorded in reports and run.lock.json. */
export interface BackendInfo {
  name: ConcreteBackend;
  /** Version of the package that provides it (for native: the addon's version and BLAS). */
  version: string;
  /**
   * Short stable identifier of the exact build, which changes whenever the numbers it computes
   * could change; for stage-cache fingerprints. E.g. `native 0.5.0; blas=openblas 0.3.21
   * (Haswell); conv=direct-avx512; flags=-m64 -O3 -fno-math-errno -ffp-contract=off; cc=gcc 12.2.0; libc=glibc 2.36`,
   * `tfjs-backend-wasm 4.22.0; simd=true; threads=1`, `tfjs-backend-cpu 4.22.0`.
   */
  build: string;
}
