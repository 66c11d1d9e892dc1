import { escapeHtml as e, formatBytes } from './escape.js';
import { formatMetric } from './format.js';
import { TOP_LAYERS, groupLayers } from './layers.js';
import type { LayerRow } from './layers.js';
import type { LayerStats } from '../types/records.js';

const HEAD = '<thead><tr><th class="n">#</th><th>layer</th><th>class</th><th>weights</th><th class="n">params</th><th class="n">nonzero</th><th class="n">sparsity</th>' +
  '<th>stored as</th><th class="n">quantization error (worst weight)</th><th class="n">bytes</th></tr></thead>';

/** Each weight's storage as a tooltip: `kernel: uint8, scale 0.002139, min -0.2866`. */
function storageTitle(layer: LayerStats): string {
  return layer.weights.map((w) => {
    const q = w.quantization;
    const detail = q?.scale !== undefined ? `, scale ${Number(q.scale.toPrecision(4))}, min ${Number((q.min ?? 0).toPrecision(4))}` : '';
    const error = w.quantizationError ? `, error ${(w.quantizationError.relative * 100).toFixed(2)}%` : '';
    return `${w.key}: ${w.dtype}${detail}${error}`;
  }).join('\n');
}

function rowHtml(r: LayerRow, layer: LayerStats): string {
  const error = (r.maxQuantizationError === undefined ? '' : `${(r.maxQuantizationError * 100).toFixed(2)}%` +
    (r.larger.length ? ` <strong>larger</strong>: ${e(r.larger.join(', '))}` : '')) +
    (r.keptFloat.length ? ` kept float32: ${e(r.keptFloat.join(', '))}` : '');
  return `<tr><td class="n">${r.index}</td><td>${e(r.name)}</td><td>${e(r.className)}</td><td>${e(r.weights.join(', '))}</td>` +
    `<td class="n">${formatMetric('params', r.params)}</td><td class="n">${formatMetric('params', r.nonzeroParams)}</td><td class="n">${formatMetric('sparsity', r.sparsity)}</td>` +
    `<td title="${e(storageTitle(layer))}">${e(r.dtypes.join(', '))}</td><td class="n">${error}</td><td class="n">${formatMetric('sizeBytes', r.bytes)}</td></tr>`;
}

/**
 * The final model's layers, one row per layer: the {@link TOP_LAYERS} with the most params, the
 * others folded into a `<details>` below, and the totals over all of them.
 */
export function layerTable(layers: LayerStats[], top = TOP_LAYERS): string {
  const { shown, folded, total } = groupLayers(layers, top);
  const html = (rows: LayerRow[]) => rows.map((r) => rowHtml(r, layers[r.index - 1]!)).join('');
  const totalRow = `<tr><th colspan="4">total (${total.layers} layer${total.layers === 1 ? '' : 's'} with weights)</th><th class="n">${formatMetric('params', total.params)}</th>` +
    `<th class="n">${formatMetric('params', total.nonzeroParams)}</th><th></th><th></th><th></th><th class="n">${formatMetric('sizeBytes', total.bytes)} (${formatBytes(total.bytes)})</th></tr>`;
  const foldedParams = folded.reduce((n, r) => n + r.params, 0);
  const rest = folded.length === 0 ? '' :
    `<details class="more-layers"><summary>${folded.length} more layers (${formatMetric('params', foldedParams)} params, ${formatBytes(folded.reduce((n, r) => n + r.bytes, 0))})</summary>` +
    `<div class="wide"><table>${HEAD}<tbody>${html(folded)}</tbody></table></div></details>`;
  const caption = folded.length ? `<p class="note">The ${shown.length} layers with the most params, in model order; the other ${folded.length} are folded below.</p>` : '';
  return `${caption}<div class="wide"><table>${HEAD}<tbody>${html(shown)}${totalRow}</tbody></table></div>${rest}`;
}
