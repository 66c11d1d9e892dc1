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
      { title: 'Loss', xLabel: 'epoch', yLabel: 'loss', y: { zero: true }, width: 560, height: 300 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain('<title>baseline: 1, 1.5</title>');
    expect(svg).toContain('<title>prune: 3, 0.25</title>');
    // x 1..3 maps to pixels 80..536; y 0..1.5 (a tick) to 254..46.
    expect(svg).toContain('<polyline fill="none" stroke="#0072B2" stroke-width="2" points="80,46 308,184.67"/>');
    expect(svg).toContain('<circle cx="536" cy="219.33" r="3.5" fill="#E69F00">');
  });

  it('escapes series names and titles', () => {
    const svg = lineChart([{ name: '<b>"x"</b>', points: [{ x: 0, y: 0 }] }], { title: 'a & b', xLabel: 'x', yLabel: 'y' });
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('&lt;b&gt;&quot;x&quot;&lt;/b&gt;');
    expect(svg).toContain('<title>a &amp; b</title>');
  });

  it('a scatter chart labels each point and shares a label between points drawn on each other', () => {
    const svg = scatterChart([{ x: 100, y: 0.9, label: 'baseline' }, { x: 25, y: 0.8, label: 'quantize' }, { x: 25, y: 0.8, label: 'final' }],
      { title: 'acc vs size', xLabel: 'bytes', yLabel: 'accuracy', x: { zero: true }, connect: true });
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain('>baseline</text>');
    expect(svg).toContain('>quantize, final</text>');
    expect(svg).toContain('stroke-dasharray');
  });

  it('a bar chart has one bar per known value and a note when there is nothing to plot', () => {
    const svg = barChart([{ label: 'a', color: '#111111', values: [10, 5] }, { label: 'b', color: '#222222', values: [undefined, 2] }], ['size', 'gzip'], { title: 't', xLabel: 'x', yLabel: 'y' });
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(3);
    expect(svg).toContain('<title>b gzip: 2</title>');
    // Bars take their category's colour: solid for the first series, pale for the next.
    expect(svg.match(/<rect [^>]*fill="#222222" fill-opacity="[\d.]+" stroke="#222222" class="bar"><title>b gzip/g)).toHaveLength(1);
    expect(svg).toMatch(/<rect [^>]*fill="#111111" class="bar"><title>a size/);
    expect(lineChart([], { title: 'none', xLabel: 'x', yLabel: 'y' })).toContain('no data');
  });

  it('no bar reaches above the top grid line: the axis ends at a tick at or above the largest bar', () => {
    const svg = barChart([{ label: 'a', color: '#111', values: [1_068_518, 983_385] }, { label: 'b', color: '#222', values: [269_229, 52_079] }], ['size', 'gzip'],
      { title: 't', xLabel: 'x', yLabel: 'y', y: { unit: 'bytes' } });
    const gridTop = Math.min(...[...svg.matchAll(/<line [^>]*y1="([\d.]+)"[^>]*class="grid"/g)].map((m) => Number(m[1])));
    const barTops = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" [^>]*class="bar"/g)].map((m) => Number(m[1]));
    expect(barTops).toHaveLength(4);
    expect(Math.min(...barTops)).toBeGreaterThanOrEqual(gridTop);
    expect(svg).toContain('>1.25 MiB</text>');
    expect(svg).not.toMatch(/244\.1|488\.3/);
  });

  it('a series keeps the colour it is given, whatever other series are drawn', () => {
    const svg = lineChart([{ name: 'baseline', color: '#0072B2', points: [] }, { name: 'prune', color: '#E69F00', points: [{ x: 1, y: 0.5 }] }],
      { title: 'Sparsity', xLabel: 'epoch', yLabel: 'sparsity' });
    expect(svg).toContain('fill="#E69F00"');
    expect(svg).not.toContain('#0072B2');
  });
});
