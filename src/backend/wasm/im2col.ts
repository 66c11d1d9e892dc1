/**
 * im2col for the convolution filter gradients: for every filter tap and every output position, the
 * input pixel that tap reads.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ConvGeometry } from './tensor-util.js';

const CACHE_LIMIT = 32;
const cache = new Map<string, Int32Array>();

/**
 * Row indices for im2col, ordered tap-major: entry `t * M + m` (t = kh * filterW + kw,
 * m = (n * outH + i) * outW + j) is the row of the [N*H*W, C] input that tap t reads for output
 * position m, or -1 where that read falls into the padding. Cached per geometry.
 */
function patchIndices(g: ConvGeometry): Int32Array {
  const key = [
    g.batch, g.inH, g.inW, g.outH, g.outW, g.filterH, g.filterW,
    g.strideH, g.strideW, g.dilationH, g.dilationW, g.padTop, g.padLeft,
  ].join(',');
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const taps = g.filterH * g.filterW;
  const positions = g.batch * g.outH * g.outW;
  const idx = new Int32Array(taps * positions);
  let o = 0;
  for (let kh = 0; kh < g.filterH; kh++) {
    for (let kw = 0; kw < g.filterW; kw++) {
      for (let n = 0; n < g.batch; n++) {
        for (let i = 0; i < g.outH; i++) {
          const r = i * g.strideH + kh * g.dilationH - g.padTop;
          const rowOk = r >= 0 && r < g.inH;
          const rowBase = (n * g.inH + r) * g.inW;
          for (let j = 0; j < g.outW; j++) {
            const c = j * g.strideW + kw * g.dilationW - g.padLeft;
            idx[o++] = rowOk && c >= 0 && c < g.inW ? rowBase + c : -1;
          }
        }
      }
    }
  }
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, idx);
  return idx;
}

/**
 * im2col of an NHWC input, written straight into wasm memory by a JS loop (the wasm GatherV2
 * kernel moves single floats far slower). Layout 'tcm' gives [taps, C, N*outH*outW] (rows ordered
 * like the rows of a [KH, KW, C, ...] filter), 'ctm' gives [C, taps, N*outH*outW]. Entries that
 * fall into the padding are 0. The result is a Tensor tracked by the current scope.
 */
export function patches(x: tf.Tensor4D, g: ConvGeometry, layout: 'tcm' | 'ctm', backend: BackendWasm): tf.Tensor3D {
  const channels = x.shape[3];
  const taps = g.filterH * g.filterW;
  const positions = g.batch * g.outH * g.outW;
  const idx = patchIndices(g);
  const shape = layout === 'tcm' ? [taps, channels, positions] : [channels, taps, positions];
  const info = backend.makeOutput(shape, 'float32');
  // Both views only after makeOutput: allocating may grow the wasm memory, which detaches every
  // view taken before (reads from a detached view give undefined, so the patches were all NaN).
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const out = backend.typedArrayFromHeap(info) as Float32Array;
  for (let t = 0; t < taps; t++) {
    const tapIdx = idx.subarray(t * positions, (t + 1) * positions);
    for (let c = 0; c < channels; c++) {
      let o = layout === 'tcm' ? (t * channels + c) * positions : (c * taps + t) * positions;
      for (let m = 0; m < positions; m++) {
        const r = tapIdx[m]!;
        out[o++] = r < 0 ? 0 : xs[r * channels + c]!;
      }
    }
  }
  return tf.engine().makeTensorFromTensorInfo(info, backend) as tf.Tensor3D;
}
