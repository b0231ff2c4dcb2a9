// The behaviour diff's chart: hourly invocations and errors of the detection window against the baseline's expected band, as inline SVG.
import type { MetricsSummary } from '../core/model';
import { formatCount, formatTime } from '../report/format';
import { chartSeries, consecutiveRuns, type ChartSeries } from '../report/view-model';
import { h, s } from './dom';

const H = 240;
const M = { left: 56, right: 16, top: 14, bottom: 54 } as const;

/** A round step (1, 2, 2.5 or 5 times a power of ten) that divides `max` into about `parts` gridlines. */
function niceStep(max: number, parts: number): number {
  const raw = Math.max(max, 1) / parts;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function c(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** `13:00` and `2026-11-22` for an hour start (the date is shown under the first tick of each day). */
function hourParts(iso: string): { hour: string; day: string } {
  const t = formatTime(iso); // `2026-11-22 13:00Z`
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d)Z$/.exec(t);
  return m ? { day: m[1]!, hour: m[2]! } : { day: '', hour: t };
}

/** The widest the chart is drawn; it is drawn at the width it has (down to MIN_W), so its text stays at 11 px. */
const MAX_W = 760;
const MIN_W = 300;



/** The one chart on the page is redrawn when its width changes; a new render replaces it and its observer. */
let observer: ResizeObserver | undefined;

/** The `#chart` section's content: the SVG, its legend and the totals, or "no metrics" when the report has none in the window. */
export function renderChart(metrics: MetricsSummary | undefined, detectHours: number): Node[] {
  observer?.disconnect();
  observer = undefined;
  if (!metrics || metrics.hours.length === 0) {
    return [h('p', { id: 'no-metrics', class: 'muted' }, 'No metrics: CloudWatch has no invocations of this function in the detection window.')];
  }
  const data = chartSeries(metrics);
  const widthOf = (px: number) => Math.round(Math.min(MAX_W, Math.max(MIN_W, px)));
  // A first guess from the window (the section is not laid out yet); the observer corrects it once it is.
  let drawn = widthOf(document.documentElement.clientWidth - 48);
  const wrap = h('div', { class: 'chart-wrap' }, drawSvg(metrics, data, detectHours, drawn));
  if (typeof ResizeObserver === 'function') {
    observer = new ResizeObserver((entries) => {
      const width = widthOf(entries[0]?.contentRect.width ?? drawn);
      if (Math.abs(width - drawn) < 8) return;
      drawn = width;
      wrap.replaceChildren(drawSvg(metrics, data, detectHours, width));
    });
    observer.observe(wrap);
  }
  const { period, showThrottles } = data;
  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    h('li', undefined, h('span', { class: 'swatch invocations' }), `invocations per ${period}`),
    h('li', undefined, h('span', { class: 'swatch over' }), 'above the expected band'),
    h('li', undefined, h('span', { class: 'swatch band' }), 'expected (baseline, same hour of day)'),
    h('li', undefined, h('span', { class: 'swatch mean' }), 'expected mean'),
    h('li', undefined, h('span', { class: 'swatch errors' }), 'errors'),
    showThrottles ? h('li', undefined, h('span', { class: 'swatch throttles' }), 'throttles') : null,
  );
  return [wrap, legend, renderTotals(metrics)];
}

function drawSvg(metrics: MetricsSummary, data: ChartSeries, detectHours: number, W: number): SVGSVGElement {
  const { n, period, inv, err, thr, band, showThrottles } = data;
  const top = Math.max(1, ...inv, ...err, ...(showThrottles ? thr : []), ...band.map((b) => b?.high ?? 0));
  const yStep = niceStep(top, 4);
  const yMax = Math.ceil(top / yStep) * yStep;

  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (i: number) => M.left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => M.top + plotH - (Math.max(0, v) / yMax) * plotH;
  const line = (values: readonly number[]) => values.map((v, i) => `${c(x(i))},${c(y(v))}`).join(' ');

  const label = `Invocations per ${period} in the last ${detectHours} h against the baseline's expected band, with errors`;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': label });
  svg.appendChild(s('title', undefined, label));

  // Y axis: gridlines on round numbers.
  const grid = s('g', { class: 'axis y-axis' });
  for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
    const gy = c(y(v));
    grid.appendChild(s('line', { class: v === 0 ? 'axis-line' : 'grid', x1: M.left, x2: W - M.right, y1: gy, y2: gy }));
    grid.appendChild(s('text', { x: M.left - 6, y: gy, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, formatCount(v)));
  }
  grid.appendChild(
    s('text', { class: 'axis-title', x: 12, y: c(M.top + plotH / 2), 'text-anchor': 'middle', transform: `rotate(-90 12 ${c(M.top + plotH / 2)})` }, `per ${period}`),
  );
  svg.appendChild(grid);

  // X axis: a labelled tick every few periods, as many as fit (about one per 64 px).
  const xAxis = s('g', { class: 'axis x-axis' });
  xAxis.appendChild(s('line', { class: 'axis-line', x1: M.left, x2: M.left, y1: M.top, y2: M.top + plotH }));
  const fit = Math.max(2, Math.floor(plotW / 64));
  const step = [1, 2, 3, 4, 6, 12, 24, 48, 72, 168].find((k) => Math.ceil(n / k) <= fit) ?? Math.ceil(n / fit);
  let lastDay = '';
  for (let i = 0; i < n; i += step) {
    const { hour, day } = hourParts(metrics.hours[i] ?? '');
    const tx = c(x(i));
    xAxis.appendChild(s('line', { class: 'tick', x1: tx, x2: tx, y1: M.top + plotH, y2: M.top + plotH + 4 }));
    xAxis.appendChild(s('text', { x: tx, y: M.top + plotH + 16, 'text-anchor': 'middle' }, hour));
    if (day && day !== lastDay) xAxis.appendChild(s('text', { class: 'day', x: tx, y: M.top + plotH + 29, 'text-anchor': 'middle' }, day));
    lastDay = day;
  }
  xAxis.appendChild(s('text', { class: 'axis-title', x: c(M.left + plotW / 2), y: H - 6, 'text-anchor': 'middle' }, 'hour (UTC), detection window'));
  svg.appendChild(xAxis);

  // The band only over runs of consecutive periods that have an expectation.
  const withBand = band.flatMap((b, i) => (b ? [{ b, i }] : []));
  for (const run of consecutiveRuns(withBand)) {
    const upper = run.map(({ b, i }) => `${c(x(i))},${c(y(b.high))}`);
    const lower = [...run].reverse().map(({ b, i }) => `${c(x(i))},${c(y(b.low))}`);
    svg.appendChild(s('polygon', { class: 'band', points: [...upper, ...lower].join(' ') }));
    svg.appendChild(s('polyline', { class: 'mean', points: run.map(({ b, i }) => `${c(x(i))},${c(y(b.mean))}`).join(' ') }));
  }
  svg.appendChild(s('polyline', { class: 'series errors', points: line(err) }));
  if (showThrottles) svg.appendChild(s('polyline', { class: 'series throttles', points: line(thr) }));
  svg.appendChild(s('polyline', { class: 'series invocations', points: line(inv) }));

  inv.forEach((v, i) => {
    const b = band[i];
    const over = b !== undefined && v > b.high;
    const expected = b ? `, expected ${formatCount(b.low)}–${formatCount(b.high)}` : '';
    const tip =
      `${formatTime(metrics.hours[i])}: ${formatCount(v)} invocations${expected}, ${formatCount(err[i])} errors` +
      (showThrottles ? `, ${formatCount(thr[i])} throttles` : '');
    svg.appendChild(s('circle', { class: over ? 'pt over' : 'pt', cx: c(x(i)), cy: c(y(v)), r: over ? 3.5 : 2 }, s('title', undefined, tip)));
  });
  return svg;
}

function renderTotals(metrics: MetricsSummary): Node {
  const detect = metrics.totals?.detect ?? {};
  const daily = metrics.totals?.baselineDailyMean ?? {};
  const names = [...new Set([...Object.keys(detect), ...Object.keys(daily)])];
  if (names.length === 0) return document.createTextNode('');
  return h(
    'table',
    { class: 'totals' },
    h('thead', undefined, h('tr', undefined, h('th', { scope: 'col' }, 'Metric'), h('th', { class: 'num', scope: 'col' }, 'Detection window'), h('th', { class: 'num', scope: 'col' }, 'Baseline daily mean'))),
    h('tbody', undefined, ...names.map((name) => h('tr', undefined, h('th', { scope: 'row' }, name), h('td', { class: 'num' }, formatCount(detect[name])), h('td', { class: 'num' }, formatCount(daily[name]))))),
  );
}
