// Hourly Lambda metrics for every function over the whole span (diurnal rate, growth, Poisson noise, injected spikes) and their GetMetricData recording.
import type { SpikeInjection } from './anomalies';
import type { Account, FunctionSpec, Span } from './model';
import type { Rng } from './random';
import { diurnal, HOUR_S, iso } from './time';
import { JsonArrayWriter, LineSink } from './write';

export interface FunctionSeries {
  invocations: Uint32Array;
  errors: Uint32Array;
  throttles: Uint32Array;
  /** Average duration in ms; meaningful only where there were invocations. */
  duration: Float64Array;
  concurrency: Uint32Array;
}

/** Expected invocations in hour `h`, before noise: the shape everything else (traffic, API calls) follows. */
export function expectedRate(fn: FunctionSpec, span: Span, h: number): number {
  const t = span.start + h * HOUR_S + HOUR_S / 2;
  const growth = 1 + fn.growth * (h / Math.max(1, span.hours - 1));
  return fn.peakPerHour * diurnal(t, fn.phaseHours) * growth;
}

/**
 * `mustRun` lists hours in which a function has to have run at least once, because flow
 * records or API calls are injected there: a function that did not run makes no traffic.
 */
export function simulateMetrics(
  account: Account,
  span: Span,
  spikes: SpikeInjection[],
  mustRun: Map<FunctionSpec, Set<number>>,
  rng: Rng,
): FunctionSeries[] {
  return account.functions.map((fn) => {
    const r = rng.fork(fn.name);
    const n = span.hours;
    const s: FunctionSeries = {
      invocations: new Uint32Array(n),
      errors: new Uint32Array(n),
      throttles: new Uint32Array(n),
      duration: new Float64Array(n),
      concurrency: new Uint32Array(n),
    };
    const forced = mustRun.get(fn);
    const mySpikes = spikes.filter((sp) => sp.fn === fn);
    for (let h = 0; h < n; h++) {
      // A little day-to-day wobble on top of Poisson noise, as real traffic has.
      const expected = expectedRate(fn, span, h) * Math.exp(0.08 * r.normal());
      // A scheduled job runs once at its hour and never otherwise, whatever its diurnal rate says.
      let inv =
        fn.dailyHour === undefined
          ? r.poisson(expected)
          : new Date((span.start + h * HOUR_S) * 1000).getUTCHours() === fn.dailyHour
            ? 1
            : 0;
      const spike = mySpikes.find((sp) => h >= sp.fromHour && h < sp.toHour);
      if (spike) inv += r.poisson(expected * (spike.factor - 1) + 50);
      if (inv === 0 && forced?.has(h)) inv = 1;
      s.invocations[h] = inv;
      s.errors[h] = Math.min(inv, r.poisson(inv * fn.errorRate * (spike ? 2.5 : 1)));
      s.throttles[h] = spike ? r.poisson(inv * 0.03) : 0;
      if (inv > 0) {
        const dur = Math.max(1, fn.durationMs * (1 + 0.1 * r.normal()) * (spike ? 1.4 : 1));
        s.duration[h] = Math.round(dur * 100) / 100;
        s.concurrency[h] = Math.max(1, Math.round(((inv * dur) / 3.6e6) * 40 * r.range(0.8, 1.25)));
      }
    }
    return s;
  });
}

const METRICS = [
  { name: 'Invocations', stat: 'Sum' },
  { name: 'Errors', stat: 'Sum' },
  { name: 'Throttles', stat: 'Sum' },
  { name: 'Duration', stat: 'Average' },
  { name: 'ConcurrentExecutions', stat: 'Maximum' },
] as const;

/**
 * The GetMetricData recording: one query per function and metric, results newest first, and
 * periods without data left out, as CloudWatch does. Lambda publishes all its metrics for every
 * period in which the function ran, so Errors and Throttles carry zeros where it ran cleanly.
 */
export async function writeMetrics(path: string, account: Account, span: Span, series: FunctionSeries[]): Promise<void> {
  const sink = new LineSink(path, false);
  const json = new JsonArrayWriter(sink);
  json.open({ StartTime: iso(span.start), EndTime: iso(span.end) }, 'MetricDataQueries');
  let id = 0;
  for (const fn of account.functions) {
    for (const m of METRICS) {
      json.item({
        Id: `m${id++}`,
        MetricStat: {
          Metric: { Namespace: 'AWS/Lambda', MetricName: m.name, Dimensions: [{ Name: 'FunctionName', Value: fn.name }] },
          Period: 3600,
          Stat: m.stat,
        },
        ReturnData: true,
      });
    }
  }
  json.closeArray('MetricDataResults');
  const stamps = Array.from({ length: span.hours }, (_, h) => iso(span.start + h * HOUR_S));
  id = 0;
  for (let i = 0; i < account.functions.length; i++) {
    const s = series[i] as FunctionSeries;
    const values: Record<(typeof METRICS)[number]['name'], ArrayLike<number>> = {
      Invocations: s.invocations,
      Errors: s.errors,
      Throttles: s.throttles,
      Duration: s.duration,
      ConcurrentExecutions: s.concurrency,
    };
    for (const m of METRICS) {
      const timestamps: string[] = [];
      const vals: number[] = [];
      const v = values[m.name];
      for (let h = span.hours - 1; h >= 0; h--) {
        const ran = (s.invocations[h] ?? 0) > 0;
        const present = m.stat === 'Sum' ? ran || (s.throttles[h] ?? 0) > 0 : ran;
        if (!present) continue;
        timestamps.push(stamps[h] as string);
        vals.push(v[h] ?? 0);
      }
      json.item({ Id: `m${id++}`, Label: m.name, Timestamps: timestamps, Values: vals, StatusCode: 'Complete' });
    }
    await sink.drain();
  }
  json.closeArray();
  json.close();
  await sink.close();
}
