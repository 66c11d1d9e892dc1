import { describe, expect, it } from 'vitest';
import { escapeHtml } from './escape.js';
import { barChart, lineChart, niceTicks, scatterChart } from './svg.js';

describe('escapeHtml', () => {
  it('escapes every character that could open markup or end an attribute', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
  });
});

describe('SVG charts', () => {
  it('niceTicks gives round values covering the range', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.5, 1.62)).toEqual([0.5, 0.75, 1, 1.25, 1.5]);
  });

  it('a line chart has a polyline and a titled circle per point, in the frame', () => {
    const svg = lineChart([{ name: 'baseline', points: [{ x: 1, y: 1.5 }, { x: 2, y: 0.5 }] }, { name: 'prune', points: [{ x: 3, y: 0.25 }] }],
      { title: 'Loss', xLabel: 'epoch', yLabel: 'loss', zeroY: true, width: 560, height: 300 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain('<title>baseline: 1, 1.5</title>');
    expect(svg).toContain('<title>prune: 3, 0.25</title>');
    // x 1..3 maps to pixels 80..540; y 0..1.5 to 254..46.
    expect(svg).toContain('<polyline fill="none" stroke="#0072B2" stroke-width="2" points="80,46 310,184.67"/>');
    expect(svg).toContain('<circle cx="540" cy="219.33" r="3.5" fill="#E69F00">');
  });

  it('escapes series names and titles', () => {
    const svg = lineChart([{ name: '<b>"x"</b>', points: [{ x: 0, y: 0 }] }], { title: 'a & b', xLabel: 'x', yLabel: 'y' });
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&lt;b&gt;&quot;x&quot;&lt;/b&gt;');
    expect(svg).toContain('<title>a &amp; b</title>');
  });

  it('a scatter chart labels each point and shares a label between points drawn on each other', () => {
    const svg = scatterChart([{ x: 100, y: 0.9, label: 'baseline' }, { x: 25, y: 0.8, label: 'quantize' }, { x: 25, y: 0.8, label: 'final' }],
      { title: 'acc vs size', xLabel: 'bytes', yLabel: 'accuracy', zeroX: true, connect: true });
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain('>baseline</text>');
    expect(svg).toContain('>quantize, final</text>');
    expect(svg).toContain('stroke-dasharray');
  });

  it('a bar chart has one bar per known value and a note when there is nothing to plot', () => {
    const svg = barChart(['a', 'b'], [{ name: 'size', values: [10, undefined] }, { name: 'gzip', values: [5, 2] }], { title: 't', xLabel: 'x', yLabel: 'y' });
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(3);
    expect(svg).toContain('<title>b gzip: 2</title>');
    expect(lineChart([], { title: 'none', xLabel: 'x', yLabel: 'y' })).toContain('no data');
  });
});
