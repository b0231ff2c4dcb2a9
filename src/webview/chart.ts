// The behaviour diff's chart: hourly invocations and errors of the detection window against the baseline's expected band, as inline SVG.
import type { MetricsSummary } from '../core/model';
import { formatCount, formatTime } from '../report/format';
import { h, s } from './dom';

const W = 720;
const H = 240;
const M = { left: 56, right: 16, top: 14, bottom: 42 } as const;

function finite(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** 1, 2 or 5 times a power of ten at or above v: gridlines fall on round numbers. */
function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function c(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** `13:00` for an hour start; the date too when the window spans days and this is the first tick of one. */
function hourLabel(iso: string, withDate: boolean): string {
  const t = formatTime(iso); // `2026-11-22 13:00Z`
  const m = /^(\d{4}-(\d\d)-(\d\d)) (\d\d:\d\d)Z$/.exec(t);
  if (!m) return t;
  return withDate ? `${m[2]}-${m[3]} ${m[4]}` : m[4]!;
}

/** The chart, or a "no metrics" line when the report has none (or none in the window). */
export function renderChart(metrics: MetricsSummary | undefined, detectHours: number): Node[] {
  const n = metrics?.hours.length ?? 0;
  if (!metrics || n === 0) {
    return [h('p', { id: 'no-metrics', class: 'muted' }, 'No metrics: CloudWatch has no invocations of this function in the detection window.')];
  }
  const period = !metrics.periodSeconds || metrics.periodSeconds === 3600 ? 'hour' : `${formatCount(metrics.periodSeconds / 60)} min`;
  const inv = metrics.hours.map((_, i) => finite(metrics.invocations[i]));
  const err = metrics.hours.map((_, i) => finite(metrics.errors[i]));
  const thr = metrics.hours.map((_, i) => finite(metrics.throttles[i]));
  const band = metrics.hours.map((_, i) => {
    const x = metrics.expectedInvocations[i];
    return x ? { mean: finite(x.mean), low: finite(x.low), high: finite(x.high) } : undefined;
  });
  const showThrottles = thr.some((v) => v > 0);
  const yMax = niceCeil(Math.max(1, ...inv, ...err, ...(showThrottles ? thr : []), ...band.map((b) => b?.high ?? 0)));

  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (i: number) => M.left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => M.top + plotH - (Math.max(0, v) / yMax) * plotH;
  const line = (values: readonly number[]) => values.map((v, i) => `${c(x(i))},${c(y(v))}`).join(' ');

  const label = `Invocations per ${period} in the last ${detectHours} h against the baseline's expected band, with errors`;
  const svg = s('svg', { id: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' });
  svg.appendChild(s('title', undefined, label));

  // Y axis: gridlines and labels at 0, ¼, ½, ¾ and the top.
  const grid = s('g', { class: 'axis y-axis' });
  for (const frac of [0, 0.25, 0.5, 0.75, 1]) {
    const gy = c(y(yMax * frac));
    grid.appendChild(s('line', { class: frac === 0 ? 'axis-line' : 'grid', x1: M.left, x2: W - M.right, y1: gy, y2: gy }));
    grid.appendChild(s('text', { x: M.left - 6, y: gy, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, formatCount(yMax * frac)));
  }
  grid.appendChild(
    s('text', { class: 'axis-title', x: 12, y: c(M.top + plotH / 2), 'text-anchor': 'middle', transform: `rotate(-90 12 ${c(M.top + plotH / 2)})` }, `per ${period}`),
  );
  svg.appendChild(grid);

  // X axis: a tick every few periods, so that labels never collide at any window length.
  const xAxis = s('g', { class: 'axis x-axis' });
  xAxis.appendChild(s('line', { class: 'axis-line', x1: M.left, x2: M.left, y1: M.top, y2: M.top + plotH }));
  const step = Math.max(1, Math.ceil(n / 8));
  let lastDay = '';
  for (let i = 0; i < n; i += step) {
    const iso = metrics.hours[i] ?? '';
    const day = iso.slice(0, 10);
    const tx = c(x(i));
    xAxis.appendChild(s('line', { class: 'tick', x1: tx, x2: tx, y1: M.top + plotH, y2: M.top + plotH + 4 }));
    const anchor = n === 1 ? 'middle' : i === 0 ? 'start' : 'middle';
    xAxis.appendChild(s('text', { x: tx, y: M.top + plotH + 16, 'text-anchor': anchor }, hourLabel(iso, day !== lastDay)));
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
  return [h('div', { class: 'chart-wrap' }, svg), legend, renderTotals(metrics)];
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

function consecutiveRuns<T extends { i: number }>(items: readonly T[]): T[][] {
  const runs: T[][] = [];
  for (const item of items) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1]!.i === item.i - 1) last.push(item);
    else runs.push([item]);
  }
  return runs;
}
