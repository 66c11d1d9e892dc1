// The measuring page's own script, served as /measure.js. Plain JavaScript in a string: it runs
// in the browser, next to the TF.js bundles, not in Node.

/**
 * HTML of the measuring page: TF.js, its wasm backend (bundles served beside it), the script, and
 * the builtins' layer classes as ES modules (registered before the page's load event).
 */
export const PAGE_HTML = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>condense browser measurement</title>
<script src="/tfjs/tf.min.js"></script><script src="/tfjs/tf-backend-wasm.min.js"></script><script src="/measure.js"></script>
<script type="importmap">{"imports":{"@tensorflow/tfjs":"/tfjs/module.js"}}</script><script type="module" src="/layers.js"></script>
</head><body></body></html>`;

/**
 * Defines `condenseUseBackend(name)` (resolves to why the backend does not load, or undefined) and
 * `condenseMeasure(options)` in the page: selects a backend, loads the model over HTTP with
 * tf.loadLayersModel, reads its download from the Resource Timing API, times predictions per batch
 * size and returns the predictions on the test slice. Options: backend, modelUrl, modelPrefix,
 * modelFiles (count), sliceUrl, sliceShape, batchSizes, runs, warmup.
 */
export const MEASURE_JS = String.raw`"use strict";
tf.wasm.setWasmPaths('/tfjs/');
(() => {
  const sorted = (xs) => [...xs].sort((a, b) => a - b);
  const quantile = (xs, q) => { const s = sorted(xs); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
  const message = (e) => String((e && e.message) || e).split('\n')[0];

  async function useBackend(name) {
    if (name === 'webgpu') {
      if (!tf.findBackendFactory('webgpu')) return 'the TF.js webgpu backend (@tensorflow/tfjs-backend-webgpu) is not installed';
      if (!navigator.gpu || !(await navigator.gpu.requestAdapter())) return 'this browser offers no WebGPU adapter';
    }
    try {
      if (!(await tf.setBackend(name))) return 'tf.setBackend("' + name + '") failed';
      await tf.ready();
    } catch (e) {
      return message(e);
    }
    return undefined;
  }

  function details(name) {
    if (name === 'wasm') return { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), multithreaded: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'), threads: tf.wasm.getThreadsCount() };
    if (name !== 'webgl') return {};
    const gl = tf.backend().gpgpu.gl;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    return { renderer, software: /swiftshader|llvmpipe|software/i.test(renderer) };
  }

  // Resource Timing entries can land a moment after the fetch resolves: wait for all of them.
  async function transferOf(prefix, count) {
    let entries = [];
    for (let i = 0; i < 100; i++) {
      entries = performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname.startsWith(prefix));
      if (entries.length >= count) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const sum = (f) => entries.reduce((n, e) => n + e[f], 0);
    return { transferBytes: sum('encodedBodySize'), decodedBytes: sum('decodedBodySize') };
  }

  async function predictOnce(model, x) {
    const t0 = performance.now();
    const y = model.predict(x);
    await (Array.isArray(y) ? y[0] : y).data();
    const ms = performance.now() - t0;
    tf.dispose(y);
    return ms;
  }

  async function timeBatch(model, xs, batch, runs, warmup) {
    const n = xs.shape[0];
    const x = tf.tidy(() => tf.gather(xs, tf.tensor1d(Array.from({ length: batch }, (_, i) => i % n), 'int32')));
    const times = [];
    for (let i = 0; i < warmup + runs; i++) {
      const ms = await predictOnce(model, x);
      if (i >= warmup) times.push(ms);
    }
    x.dispose();
    return { median: quantile(times, 0.5), p90: quantile(times, 0.9) };
  }

  async function predictions(model, xs) {
    const out = [];
    for (let start = 0; start < xs.shape[0]; start += 256) {
      const x = xs.slice(start, Math.min(256, xs.shape[0] - start));
      const y = model.predict(x);
      const first = Array.isArray(y) ? y[0] : y;
      out.push(...(await first.data()));
      tf.dispose([x, y]);
    }
    return out;
  }

  window.condenseUseBackend = useBackend;
  window.condenseMeasure = async (o) => {
    const why = await useBackend(o.backend);
    if (why) return { status: 'unavailable', reason: why };
    performance.setResourceTimingBufferSize(100000);
    performance.clearResourceTimings();
    const before = tf.memory().numBytes;
    const t0 = performance.now();
    const model = await tf.loadLayersModel(o.modelUrl);
    const loadMs = performance.now() - t0;
    const memoryBytes = tf.memory().numBytes - before;
    const transfer = await transferOf(o.modelPrefix, o.modelFiles);
    const slice = new Float32Array(await (await fetch(o.sliceUrl)).arrayBuffer());
    const xs = tf.tensor(slice, o.sliceShape);
    try {
      const firstMs = await predictOnce(model, xs.slice(0, 1));
      const latencyMs = {}, p90Ms = {};
      for (const b of o.batchSizes) {
        const t = await timeBatch(model, xs, b, o.runs, o.warmup);
        latencyMs[b] = t.median;
        p90Ms[b] = t.p90;
      }
      const outputs = await predictions(model, xs);
      return { status: 'measured', ...transfer, loadMs, firstMs, latencyMs, p90Ms, memoryBytes, details: details(o.backend), outputs };
    } finally {
      xs.dispose();
      model.dispose();
    }
  };
})();
`;
