/**
 * Registers condense's native CPU backend (compiled C kernels over BLAS) under the name `native`.
 * Resolves to the addon's version string; throws with the reason when the addon is not built.
 */
export async function registerNativeBackend(): Promise<string> {
  throw new Error('the native addon is not built in this checkout');
}
