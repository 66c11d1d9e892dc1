/**
 * Registers the training kernels that @tensorflow/tfjs-backend-wasm lacks (filter gradients of
 * convolutions, UnsortedSegmentSum, ...). Idempotent.
 */
export function registerWasmTrainingKernels(): void {
  // Filled in by the wasm-kernels work (issue 5); until then wasm trains dense models only.
}
