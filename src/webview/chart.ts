// The behaviour diff's chart: the shared chart drawing (invocations and errors against the baseline's expected band) as inline SVG elements, redrawn at the width the panel has.
import type { MetricsSummary } from '../core/model';
import { CHART_MAX_WIDTH, CHART_MIN_WIDTH, chartDrawing, metricTotals, SENTENCES, type ChartDrawing } from '../report/presentation';
import { h, s } from './dom';

/** The one chart on the page is redrawn when its width changes; a new render replaces it and its observer. */
let observer: ResizeObserver | undefined;

/** The `#chart` section's content: the SVG, its legend and the totals, or "no metrics" when the report has none in the window. */
export function renderChart(metrics: MetricsSummary | undefined, detectHours: number): Node[] {
  observer?.disconnect();
  observer = undefined;
  const widthOf = (px: number) => Math.round(Math.min(CHART_MAX_WIDTH, Math.max(CHART_MIN_WIDTH, px)));
  // A first guess from the window (the section is not laid out yet); the observer corrects it once it is.
  let drawn = widthOf(document.documentElement.clientWidth - 48);
  const first = metrics ? chartDrawing(metrics, drawn, detectHours) : undefined;
  if (!metrics || !first) return [h('p', { id: 'no-metrics', class: 'muted' }, SENTENCES.noMetrics)];
  const wrap = h('div', { class: 'chart-wrap' }, drawSvg(first));
  if (typeof ResizeObserver === 'function') {
    observer = new ResizeObserver((entries) => {
      const width = widthOf(entries[0]?.contentRect.width ?? drawn);
      if (Math.abs(width - drawn) < 8) return;
      drawn = width;
      const d = chartDrawing(metrics, width, detectHours);
      if (d) wrap.replaceChildren(drawSvg(d));
    });
    observer.observe(wrap);
  }
  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    ...first.legend.map((l) => h('li', undefined, h('span', { class: `swatch ${l.key}` }), l.text)),
  );
  return [wrap, legend, renderTotals(metrics)];
}

function drawSvg(d: ChartDrawing): SVGSVGElement {
  const { plot } = d;
  const svg = s('svg', {
    class: 'chart',
    viewBox: `0 0 ${d.width} ${d.height}`,
    width: d.width,
    height: d.height,
    role: 'img',
    'aria-label': d.label,
  });
  svg.appendChild(s('title', undefined, d.label));

  const grid = s('g', { class: 'axis y-axis' });
  d.yTicks.forEach((t, i) => {
    grid.appendChild(s('line', { class: i === 0 ? 'axis-line' : 'grid', x1: plot.left, x2: plot.right, y1: t.y, y2: t.y }));
    grid.appendChild(s('text', { x: plot.left - 6, y: t.y, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, t.text));
  });
  grid.appendChild(
    s(
      'text',
      { class: 'axis-title', x: d.yTitle.x, y: d.yTitle.y, 'text-anchor': 'middle', transform: `rotate(-90 ${d.yTitle.x} ${d.yTitle.y})` },
      d.yTitle.text,
    ),
  );
  svg.appendChild(grid);

  const xAxis = s('g', { class: 'axis x-axis' });
  xAxis.appendChild(s('line', { class: 'axis-line', x1: plot.left, x2: plot.left, y1: plot.top, y2: plot.bottom }));
  for (const t of d.xTicks) {
    xAxis.appendChild(s('line', { class: 'tick', x1: t.x, x2: t.x, y1: plot.bottom, y2: plot.bottom + 4 }));
    xAxis.appendChild(s('text', { x: t.x, y: plot.bottom + 16, 'text-anchor': 'middle' }, t.hour));
    if (t.day) xAxis.appendChild(s('text', { class: 'day', x: t.x, y: plot.bottom + 29, 'text-anchor': 'middle' }, t.day));
  }
  xAxis.appendChild(s('text', { class: 'axis-title', x: d.xTitle.x, y: d.xTitle.y, 'text-anchor': 'middle' }, d.xTitle.text));
  svg.appendChild(xAxis);

  for (const b of d.bands) {
    svg.appendChild(s('polygon', { class: 'band', points: b.area }));
    svg.appendChild(s('polyline', { class: 'mean', points: b.mean }));
  }
  svg.appendChild(s('polyline', { class: 'series errors', points: d.errors }));
  if (d.throttles) svg.appendChild(s('polyline', { class: 'series throttles', points: d.throttles }));
  svg.appendChild(s('polyline', { class: 'series invocations', points: d.invocations }));
  for (const p of d.points) {
    svg.appendChild(
      s('circle', { class: p.over ? 'pt over' : 'pt', cx: p.cx, cy: p.cy, r: p.over ? 3.5 : 2 }, s('title', undefined, p.tip)),
    );
  }
  return svg;
}

function renderTotals(metrics: MetricsSummary): Node {
  const rows = metricTotals(metrics);
  if (rows.length === 0) return document.createTextNode('');
  return h(
    'table',
    { class: 'totals' },
    h(
      'thead',
      undefined,
      h(
        'tr',
        undefined,
        h('th', { scope: 'col' }, 'Metric'),
        h('th', { class: 'num', scope: 'col' }, 'Detection window'),
        h('th', { class: 'num', scope: 'col' }, 'Baseline daily mean'),
      ),
    ),
    h(
      'tbody',
      undefined,
      ...rows.map((r) =>
        h('tr', undefined, h('th', { scope: 'row' }, r.name), h('td', { class: 'num' }, r.detect), h('td', { class: 'num' }, r.dailyMean)),
      ),
    ),
  );
}
