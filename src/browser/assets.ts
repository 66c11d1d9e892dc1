// What the measuring page loads besides the model: its HTML and script, and TF.js's browser
// bundles from the installed packages (the page fetches nothing off the machine).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MEASURE_JS, PAGE_HTML } from './page-script.js';

const require = createRequire(import.meta.url);

/** The dist/ folder of an installed package. */
function distOf(pkg: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), 'dist');
}

/** Files the page needs, by URL path: the page, its script, tf.min.js, the wasm backend and its three .wasm binaries. */
export function pageAssets(): Map<string, Uint8Array> {
  const tfjs = distOf('@tensorflow/tfjs');
  const wasm = distOf('@tensorflow/tfjs-backend-wasm');
  const assets = new Map<string, Uint8Array>([
    ['/index.html', new TextEncoder().encode(PAGE_HTML)],
    ['/measure.js', new TextEncoder().encode(MEASURE_JS)],
    ['/tfjs/tf.min.js', readFileSync(join(tfjs, 'tf.min.js'))],
    ['/tfjs/tf-backend-wasm.min.js', readFileSync(join(wasm, 'tf-backend-wasm.min.js'))],
  ]);
  for (const binary of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    assets.set(`/tfjs/${binary}`, readFileSync(join(wasm, binary)));
  }
  return assets;
}
