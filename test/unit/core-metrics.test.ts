// Metric findings on synthetic hourly data: invocation, error and throttle spikes against the same time of day in the baseline.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { analyseMetrics } from '../../src/core/detect/metric-findings';
import { hourlyMetrics, type HourlyMetrics } from '../../src/core/metrics/hourly';
import { HOUR_MS } from '../../src/core/time';
import type { MetricName, MetricSeries } from '../../src/core/model';
import { seeded, poissonSample } from '../support/random';

const START = Date.UTC(2026, 10, 1); // a midnight
const BASE_HOURS = 14 * 24;
const DETECT_HOURS = 24;
const TOTAL = BASE_HOURS + DETECT_HOURS;
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

function series(metric: MetricName, values: readonly number[], stat = 'Sum'): MetricSeries {
  // Newest first and zero periods left out, as CloudWatch returns them.
  const points = values
    .map((v, i) => ({ t: START + i * HOUR_MS, v }))
    .filter((p) => p.v !== 0)
    .reverse();
  return { functionName: 'fn', metric, stat, periodSeconds: 3600, points };
}

function hourly(inv: (i: number) => number, err: (i: number) => number = () => 0, thr: (i: number) => number = () => 0): HourlyMetrics {
  const range = (f: (i: number) => number) => Array.from({ length: TOTAL }, (_, i) => f(i));
  return hourlyMetrics([series('Invocations', range(inv)), series('Errors', range(err)), series('Throttles', range(thr))], START, TOTAL);
}

const analyse = (m: HourlyMetrics) => analyseMetrics(m, BASE_HOURS, DETECT_HOURS);
const kinds = (m: HourlyMetrics) => analyse(m).findings.map((f) => f.kind);
const detectIndex = (h: number) => BASE_HOURS + h;

describe('hourlyMetrics', () => {
  test('missing Sum periods are zero, missing other periods unknown', () => {
    const m = hourlyMetrics(
      [
        {
          functionName: 'fn',
          metric: 'Invocations',
          stat: 'Sum',
          periodSeconds: 3600,
          points: [
            { t: START + 3 * HOUR_MS, v: 7 },
            { t: START, v: 2 },
          ],
        },
        { functionName: 'fn', metric: 'Duration', stat: 'Average', periodSeconds: 3600, points: [{ t: START + HOUR_MS, v: 120 }] },
      ],
      START,
      5,
    );
    assert.deepEqual(Array.from(m.values.Invocations), [2, 0, 0, 7, 0]);
    assert.deepEqual(Array.from(m.values.Errors), [0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(m.values.Throttles), [0, 0, 0, 0, 0]);
    assert.ok(Number.isNaN(m.values.Duration[0]));
    assert.equal(m.values.Duration[1], 120);
    assert.ok(Array.from(m.values.ConcurrentExecutions).every(Number.isNaN));
    assert.deepEqual([...m.present].sort(), ['Duration', 'Invocations']);
    assert.equal(m.hours, 5);
    assert.equal(m.start, START);
  });

  test('periods shorter than an hour add up for Sum metrics and keep the maximum for the others', () => {
    const m = hourlyMetrics(
      [
        {
          functionName: 'fn',
          metric: 'Errors',
          stat: 'Sum',
          periodSeconds: 300,
          points: [0, 5, 10, 55].map((min) => ({ t: START + min * 60_000, v: 2 })),
        },
        {
          functionName: 'fn',
          metric: 'ConcurrentExecutions',
          stat: 'Maximum',
          periodSeconds: 300,
          points: [
            { t: START, v: 3 },
            { t: START + 600_000, v: 9 },
            { t: START + 1_200_000, v: 4 },
          ],
        },
      ],
      START,
      2,
    );
    assert.deepEqual(Array.from(m.values.Errors), [8, 0]);
    assert.equal(m.values.ConcurrentExecutions[0], 9);
  });

  test('points outside the span are ignored', () => {
    const m = hourlyMetrics(
      [
        {
          functionName: 'fn',
          metric: 'Invocations',
          stat: 'Sum',
          periodSeconds: 3600,
          points: [
            { t: START - 1, v: 100 },
            { t: START + 2 * HOUR_MS, v: 100 },
            { t: START + HOUR_MS + 1, v: 1 },
          ],
        },
      ],
      START,
      2,
    );
    assert.deepEqual(Array.from(m.values.Invocations), [0, 1]);
  });

  test('no series at all: zeros and nothing present', () => {
    const m = hourlyMetrics([], START, 3);
    assert.deepEqual(Array.from(m.values.Invocations), [0, 0, 0]);
    assert.equal(m.present.size, 0);
  });
});

describe('analyseMetrics: invocation spikes', () => {
  test('a one-hour 10× burst is an invocation spike at that hour', () => {
    const burst = detectIndex(14);
    const m = hourly((i) => (i === burst ? 1000 : 100));
    const a = analyse(m);
    assert.deepEqual(
      a.findings.map((f) => f.kind),
      ['invocation-spike'],
    );
    const f = a.findings[0];
    assert.equal(f.subject, 'Invocations');
    assert.equal(f.severity, 'high');
    assert.match(f.title, /14:00 UTC/);
    assert.equal(f.evidence.firstSeen, iso(START + burst * HOUR_MS));
    assert.equal(f.evidence.observed, 1000);
    assert.equal(f.evidence.expected, 100);
    assert.equal(f.evidence.windowTotal, 23 * 100 + 1000);
  });

  test('the hour reported is the most extreme one', () => {
    const m = hourly((i) => (i === detectIndex(3) ? 700 : i === detectIndex(9) ? 1500 : 100));
    const f = analyse(m).findings.find((x) => x.kind === 'invocation-spike')!;
    assert.equal(f.evidence.firstSeen, iso(START + detectIndex(9) * HOUR_MS));
  });

  test('a 30% gradual growth is not a spike', () => {
    const m = hourly((i) => (i < BASE_HOURS ? 100 : Math.round(100 + (30 * (i - BASE_HOURS)) / (DETECT_HOURS - 1))));
    assert.deepEqual(kinds(m), []);
  });

  test('a 30% growth on noisy (Poisson) traffic is not a spike either', () => {
    const rand = seeded(1);
    const m = hourly((i) => poissonSample(i < BASE_HOURS ? 200 : 260, rand));
    assert.deepEqual(kinds(m), []);
  });

  test('a low-volume function (3/hour) with a noisy hour of 8 is not a spike', () => {
    const rand = seeded(2);
    const noisy = detectIndex(7);
    const m = hourly((i) => (i === noisy ? 8 : i < BASE_HOURS ? poissonSample(3, rand) : 3));
    assert.deepEqual(kinds(m), []);
    const flat = hourly((i) => (i === noisy ? 8 : 3));
    assert.deepEqual(kinds(flat), []);
  });

  test('the baseline is per time of day: the usual noon peak is no spike, the same load at 03:00 is', () => {
    const peak = (i: number) => (i % 24 === 12 ? 1000 : 10);
    assert.deepEqual(kinds(hourly(peak)), []);
    const night = detectIndex(3);
    const m = hourly((i) => (i === night ? 1000 : peak(i)));
    const a = analyse(m);
    assert.deepEqual(
      a.findings.map((f) => f.kind),
      ['invocation-spike'],
    );
    assert.match(a.findings[0].title, /03:00 UTC/);
  });

  test('a sustained 3× load over the whole window is a spike of the window', () => {
    const m = hourly((i) => (i < BASE_HOURS ? 100 : 300));
    const a = analyse(m);
    assert.deepEqual(
      a.findings.map((f) => f.kind),
      ['invocation-spike'],
    );
    assert.equal(a.findings[0].severity, 'medium');
    assert.match(a.findings[0].title, /detection window/);
    assert.equal(a.findings[0].evidence.observed, 7200);
    assert.equal(a.findings[0].evidence.expected, 2400);
  });

  test('a function never invoked has no finding and no active hour', () => {
    const a = analyse(hourly(() => 0));
    assert.deepEqual(a.findings, []);
    assert.equal(a.activeHours.size, 0);
  });
});

describe('analyseMetrics: errors and throttles', () => {
  test('errors growing in proportion with invocations are not an error spike', () => {
    // 5% errors throughout; 1.5× the invocations in the detection window.
    const m = hourly(
      (i) => (i < BASE_HOURS ? 100 : 150),
      (i) => (i < BASE_HOURS ? 5 : i % 2 ? 7 : 8),
    );
    assert.deepEqual(kinds(m), []);
  });

  test('a real error-rate jump is an error spike', () => {
    const m = hourly(
      () => 100,
      (i) => (i < BASE_HOURS ? 1 : 30),
    );
    const a = analyse(m);
    assert.deepEqual(
      a.findings.map((f) => f.kind),
      ['error-spike'],
    );
    const f = a.findings[0];
    assert.equal(f.subject, 'Errors');
    assert.equal(f.severity, 'high');
    assert.equal(f.evidence.observed, 720);
    assert.equal(f.evidence.invocations, 2400);
    assert.match(f.title, /30%/);
  });

  test('a moderate error-rate jump is a medium error spike', () => {
    const m = hourly(
      () => 100,
      (i) => (i < BASE_HOURS ? 1 : 6),
    );
    const a = analyse(m);
    assert.deepEqual(
      a.findings.map((f) => [f.kind, f.severity]),
      [['error-spike', 'medium']],
    );
  });

  test('a few more errors than usual are not an error spike', () => {
    const m = hourly(
      () => 100,
      (i) => (i < BASE_HOURS ? 1 : i === detectIndex(5) ? 6 : 1),
    );
    assert.deepEqual(kinds(m), []);
  });

  test('throttles far above the baseline are a throttle spike; the usual level is not', () => {
    const spike = hourly(
      () => 100,
      () => 0,
      (i) => (i < BASE_HOURS ? (i % 48 === 0 ? 1 : 0) : 3),
    );
    const a = analyse(spike);
    assert.deepEqual(
      a.findings.map((f) => f.kind),
      ['throttle-spike'],
    );
    assert.equal(a.findings[0].subject, 'Throttles');
    assert.equal(a.findings[0].evidence.observed, 72);
    const usual = hourly(
      () => 100,
      () => 0,
      () => 3,
    );
    assert.deepEqual(kinds(usual), []);
  });
});

describe('analyseMetrics: summary and active hours', () => {
  test('the summary covers the detection window with expectations from the baseline', () => {
    const m = hourly(
      (i) => (i < BASE_HOURS ? 100 : i === detectIndex(2) ? 0 : 120),
      (i) => (i % 10 === 0 ? 1 : 0),
    );
    const a = analyse(m);
    const s = a.summary;
    assert.equal(s.periodSeconds, 3600);
    assert.equal(s.hours.length, DETECT_HOURS);
    assert.equal(s.hours[0], iso(START + BASE_HOURS * HOUR_MS));
    assert.equal(s.hours[23], iso(START + (TOTAL - 1) * HOUR_MS));
    assert.equal(s.invocations.length, DETECT_HOURS);
    assert.equal(s.invocations[2], 0);
    assert.equal(s.invocations[3], 120);
    assert.equal(s.errors.length, DETECT_HOURS);
    assert.equal(s.throttles.length, DETECT_HOURS);
    for (const e of s.expectedInvocations) {
      assert.equal(e.mean, 100);
      assert.ok(e.low <= 100 && e.high >= 100 && e.low >= 0);
    }
    assert.equal(s.totals.detect.Invocations, 23 * 120);
    assert.equal(s.totals.baselineDailyMean.Invocations, 2400);
    assert.equal(
      s.totals.detect.Errors,
      Array.from({ length: DETECT_HOURS }, (_, h) => ((BASE_HOURS + h) % 10 === 0 ? 1 : 0) as number).reduce((x, y) => x + y, 0),
    );
    // Active hours: every detection hour with an invocation.
    assert.equal(a.activeHours.size, 23);
    assert.ok(!a.activeHours.has(START + detectIndex(2) * HOUR_MS));
    assert.ok(a.activeHours.has(START + detectIndex(3) * HOUR_MS));
  });

  test('an hour with concurrency but no completed invocation counts as active', () => {
    const m = hourlyMetrics(
      [
        series(
          'Invocations',
          Array.from({ length: TOTAL }, (_, i) => (i === detectIndex(1) ? 0 : 5)),
        ),
        series(
          'ConcurrentExecutions',
          Array.from({ length: TOTAL }, (_, i) => (i === detectIndex(1) ? 1 : 0)),
          'Maximum',
        ),
      ],
      START,
      TOTAL,
    );
    const a = analyse(m);
    assert.ok(a.activeHours.has(START + detectIndex(1) * HOUR_MS));
    assert.equal(a.activeHours.size, DETECT_HOURS);
  });
});
