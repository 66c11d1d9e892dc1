/**
 * im2col for the convolution filter gradients: gathers, for every filter tap and every output
 * position, the input pixel that tap reads, using the wasm backend's GatherV2 kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvGeometry } from './tensor-util.js';

const CACHE_LIMIT = 32;
const cache = new Map<string, Int32Array>();

/**
 * Row indices for im2col, ordered tap-major: entry `t * M + m` (t = kh * filterW + kw,
 * m = (n * outH + i) * outW + j) is the row of the [N*H*W, C] input that tap t reads for output
 * position m, or N*H*W (a zero row) where that read falls into the padding. Cached per geometry.
 */
export function patchIndices(g: ConvGeometry): Int32Array {
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
  const zeroRow = g.batch * g.inH * g.inW;
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
            idx[o++] = rowOk && c >= 0 && c < g.inW ? rowBase + c : zeroRow;
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
 * Channel-first patches of an NHWC input: result[c, t, m] = x at (tap t, output position m),
 * channel c, or 0 in the padding. Shape [C, taps, N*outH*outW]. Call inside a tidy.
 */
export function channelFirstPatches(x: tf.Tensor4D, g: ConvGeometry): tf.Tensor3D {
  const channels = x.shape[3];
  const rows = g.batch * g.inH * g.inW;
  const xc = channels === 1 ? tf.reshape(x, [1, rows]) : tf.transpose(tf.reshape(x, [rows, channels]));
  const padded = tf.pad(xc, [[0, 0], [0, 1]]);
  const idx = patchIndices(g);
  const gathered = tf.gather(padded, tf.tensor1d(idx, 'int32'), 1);
  return tf.reshape(gathered, [channels, g.filterH * g.filterW, g.batch * g.outH * g.outW]);
}
