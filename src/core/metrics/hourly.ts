// CloudWatch series laid out hour by hour over the scan's span; a missing Sum period is zero, a missing average is unknown.
import type { EpochMs, MetricName, MetricSeries } from '../model';
import { HOUR_MS } from '../time';

const SUM_METRICS: ReadonlySet<MetricName> = new Set(['Invocations', 'Errors', 'Throttles']);

/** Hourly values of one function's metrics from `start` (an hour boundary) for `hours` hours. */
export interface HourlyMetrics {
  start: EpochMs;
  hours: number;
  /** Which metrics had any data at all. */
  present: Set<MetricName>;
  values: Record<MetricName, Float64Array>;
}

export function hourlyMetrics(series: readonly MetricSeries[], start: EpochMs, hours: number): HourlyMetrics {
  const values = {} as Record<MetricName, Float64Array>;
  const present = new Set<MetricName>();
  for (const name of ['Invocations', 'Errors', 'Throttles', 'Duration', 'ConcurrentExecutions'] as MetricName[]) {
    values[name] = new Float64Array(hours).fill(SUM_METRICS.has(name) ? 0 : NaN);
  }
  for (const s of series) {
    const out = values[s.metric];
    if (!out) continue;
    present.add(s.metric);
    for (const p of s.points) {
      const i = Math.floor((p.t - start) / HOUR_MS);
      if (i < 0 || i >= hours) continue;
      // A period shorter than an hour adds up (Sum) or keeps the highest value (the others).
      if (SUM_METRICS.has(s.metric)) out[i] += p.v;
      else out[i] = Number.isNaN(out[i]) ? p.v : Math.max(out[i], p.v);
    }
  }
  return { start, hours, present, values };
}
