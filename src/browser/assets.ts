// What the measuring page loads besides the model: its HTML and script, and TF.js's browser
// bundles from the installed packages (the page fetches nothing off the machine).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { MEASURE_JS, PAGE_HTML } from './page-script.js';

const require = createRequire(import.meta.url);

/** The dist/ folder of an installed package. */
function distOf(pkg: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), 'dist');
}

/**
 * `@tensorflow/tfjs` for ES modules in the page (through its import map): every named export of
 * the package, taken from the `tf` global the bundle defines, so condense's own layer modules
 * load there unchanged.
 */
function tfModuleShim(): string {
  const names = Object.keys(tf).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
  return `const tf = globalThis.tf;\nexport default tf;\nexport const { ${names.join(', ')} } = tf;\n`;
}

/**
 * The layer classes condense's builtins add (bert's PositionEmbedding), as the page's ES modules:
 * the compiled modules themselves, and one that registers them before any model loads.
 */
function builtinLayerModules(): Map<string, Uint8Array> {
  const here = dirname(fileURLToPath(import.meta.url));
  // Beside this module in dist/; from src/ (tests run the TypeScript), the built copy in dist/.
  const compiled = [join(here, '..', 'model', 'position-embedding.js'), join(here, '..', '..', 'dist', 'model', 'position-embedding.js')].find((f) => existsSync(f))
    ?? join(here, '..', 'model', 'position-embedding.js');
  return new Map([
    ['/layers/position-embedding.js', readFileSync(compiled)],
    ['/layers.js', new TextEncoder().encode("import { registerBuiltinLayers } from '/layers/position-embedding.js';\nregisterBuiltinLayers();\n")],
  ]);
}

/** Files the page needs, by URL path: the page, its script, tf.min.js, the wasm backend and its three .wasm binaries, and the builtins' layer classes. */
export function pageAssets(): Map<string, Uint8Array> {
  const tfjs = distOf('@tensorflow/tfjs');
  const wasm = distOf('@tensorflow/tfjs-backend-wasm');
  const assets = new Map<string, Uint8Array>([
    ['/index.html', new TextEncoder().encode(PAGE_HTML)],
    ['/measure.js', new TextEncoder().encode(MEASURE_JS)],
    ['/tfjs/tf.min.js', readFileSync(join(tfjs, 'tf.min.js'))],
    ['/tfjs/tf-backend-wasm.min.js', readFileSync(join(wasm, 'tf-backend-wasm.min.js'))],
    ['/tfjs/module.js', new TextEncoder().encode(tfModuleShim())],
    ...builtinLayerModules(),
  ]);
  for (const binary of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    assets.set(`/tfjs/${binary}`, readFileSync(join(wasm, binary)));
  }
  return assets;
}
