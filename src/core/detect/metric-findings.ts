// Invocation, error and throttle spikes: the detection window against the baseline at the same time of day.
import { type HourlyMetrics } from '../metrics/hourly';
import { HOUR_MS } from '../time';
import { toIso, type MetricsSummary } from '../model';
import { countUpperTail, dispersion, poissonUpperTail } from './stats';
import type { DraftFinding } from './draft';

/** One hour must be this much above its time-of-day mean (and significant) to be a spike. */
const HOUR_RATIO = 4;
const HOUR_MIN_EXCESS = 10;
/** The whole window must be this much above its expected total to be a sustained spike. */
const WINDOW_RATIO = 2;
const WINDOW_MIN_EXCESS = 20;
/** With 24 hours tested per function, a per-test level this small keeps false alarms rare across an account. */
const P_SPIKE = 1e-6;
const ERROR_RATE_RATIO = 2;
const ERROR_MIN_EXCESS = 10;

export interface MetricAnalysis {
  findings: DraftFinding[];
  summary: MetricsSummary;
  /** Hours (epoch ms) of the detection window in which the function was invoked at all. */
  activeHours: Set<number>;
}

/** Fewer baseline hours than this with data: too little to call anything a spike. */
const MIN_BASELINE_HOURS = 24;

/**
 * @param dataFrom the first hour (index into `m`) for which the source has any metric data at all: a recording
 *   shorter than the baseline must not count the hours before it as zero invocations.
 */
export function analyseMetrics(m: HourlyMetrics, baselineHours: number, detectHours: number, dataFrom = 0): MetricAnalysis {
  const b0 = Math.min(Math.max(0, dataFrom), baselineHours);
  const inv = m.values.Invocations;
  const err = m.values.Errors;
  const thr = m.values.Throttles;
  const hourOfDay = (i: number) => (Math.floor(m.start / HOUR_MS) + i) % 24;

  // Time-of-day means over the baseline, and how noisy the hours are around them.
  const sums = new Float64Array(24);
  const counts = new Float64Array(24);
  for (let i = b0; i < baselineHours; i++) {
    sums[hourOfDay(i)] += inv[i];
    counts[hourOfDay(i)]++;
  }
  const expectedAt = (i: number) => (counts[hourOfDay(i)] ? sums[hourOfDay(i)] / counts[hourOfDay(i)] : 0);
  const baseValues: number[] = [];
  const baseExpected: number[] = [];
  for (let i = b0; i < baselineHours; i++) {
    baseValues.push(inv[i]);
    baseExpected.push(expectedAt(i));
  }
  const phi = dispersion(baseValues, baseExpected);

  const findings: DraftFinding[] = [];
  const summary: MetricsSummary = {
    periodSeconds: 3600,
    hours: [],
    invocations: [],
    errors: [],
    throttles: [],
    expectedInvocations: [],
    totals: { detect: {}, baselineDailyMean: {} },
  };
  const activeHours = new Set<number>();
  let peak: { i: number; x: number; mu: number; p: number } | undefined;
  let detectTotal = 0;
  let expectedTotal = 0;
  let squaresTotal = 0;
  for (let i = baselineHours; i < baselineHours + detectHours && i < m.hours; i++) {
    const x = inv[i];
    const mu = expectedAt(i);
    const sd = Math.sqrt(mu + phi * mu * mu);
    summary.hours.push(toIso(m.start + i * HOUR_MS));
    summary.invocations.push(x);
    summary.errors.push(err[i]);
    summary.throttles.push(thr[i]);
    summary.expectedInvocations.push({ mean: round(mu), low: round(Math.max(0, mu - 3 * sd)), high: round(mu + 3 * sd) });
    if (x > 0 || (m.values.ConcurrentExecutions[i] ?? 0) > 0) activeHours.add(m.start + i * HOUR_MS);
    detectTotal += x;
    expectedTotal += mu;
    squaresTotal += mu * mu;
    if (x >= HOUR_RATIO * mu + HOUR_MIN_EXCESS) {
      const p = countUpperTail(x, mu, phi);
      if (p < P_SPIKE && (!peak || x / Math.max(mu, 1) > peak.x / Math.max(peak.mu, 1))) peak = { i, x, mu, p };
    }
  }

  const sumRange = (a: Float64Array, from: number, to: number) => {
    let s = 0;
    for (let i = from; i < Math.min(to, a.length); i++) s += a[i];
    return s;
  };
  const days = (baselineHours - b0) / 24 || 1;
  for (const [name, a] of [
    ['Invocations', inv],
    ['Errors', err],
    ['Throttles', thr],
  ] as const) {
    summary.totals.detect[name] = sumRange(a, baselineHours, baselineHours + detectHours);
    summary.totals.baselineDailyMean[name] = round(sumRange(a, b0, baselineHours) / days);
  }

  // The window's total as one negative binomial: mean Σμ, variance Σμ + φ·Σμ², so φ_total = φ·Σμ²/(Σμ)².
  const windowPhi = expectedTotal > 0 ? (phi * squaresTotal) / (expectedTotal * expectedTotal) : 0;
  const windowP =
    detectTotal >= WINDOW_RATIO * expectedTotal + WINDOW_MIN_EXCESS ? countUpperTail(detectTotal, expectedTotal, windowPhi) : 1;
  const enoughBaseline = baselineHours - b0 >= MIN_BASELINE_HOURS;
  if (!enoughBaseline) return { findings, summary, activeHours };
  const invocationSpike = peak !== undefined || windowP < P_SPIKE;
  if (invocationSpike) {
    const ratio = peak ? peak.x / Math.max(peak.mu, 1) : detectTotal / Math.max(expectedTotal, 1);
    const when = peak ? toIso(m.start + peak.i * HOUR_MS) : summary.hours[0];
    findings.push({
      kind: 'invocation-spike',
      subject: 'Invocations',
      severity: ratio >= 10 ? 'high' : 'medium',
      title: peak
        ? `Invocations ${fmtRatio(ratio)} the usual rate at ${when.slice(11, 16)} UTC`
        : `Invocations ${fmtRatio(ratio)} the usual rate over the detection window`,
      detail: peak
        ? `In the hour from ${when} the function ran ${peak.x} times; at that time of day ${usualHourly(peak.mu)}. ` +
          `Chance of this under normal load: ${fmtP(peak.p)}. Over the whole detection window it ran ${detectTotal} times against about ${fmtCount(expectedTotal)} expected.`
        : `Over the detection window the function ran ${detectTotal} times against about ${fmtCount(expectedTotal)} expected at those times of day (chance under normal load ${fmtP(windowP)}).`,
      recommendation:
        'Check who calls the function (event source, API Gateway or ALB access logs) and whether a retry loop or a new client explains the load.',
      evidence: {
        firstSeen: when,
        observed: peak ? peak.x : detectTotal,
        expected: round(peak ? peak.mu : expectedTotal),
        windowTotal: detectTotal,
        windowExpected: round(expectedTotal),
        errorsInWindow: summary.totals.detect.Errors,
        throttlesInWindow: summary.totals.detect.Throttles,
      },
    });
  }

  // Error rate: errors that only grow with the invocations (same rate) are not a finding of their own.
  const baseInv = sumRange(inv, b0, baselineHours);
  const baseErr = sumRange(err, b0, baselineHours);
  const detErr = summary.totals.detect.Errors;
  const baseRate = (baseErr + 0.5) / (baseInv + 1);
  const expectedErrors = baseRate * detectTotal;
  if (detectTotal > 0 && detErr >= ERROR_RATE_RATIO * expectedErrors && detErr - expectedErrors >= ERROR_MIN_EXCESS) {
    const p = poissonUpperTail(detErr, expectedErrors);
    if (p < P_SPIKE && !invocationSpike) {
      const rate = detErr / detectTotal;
      findings.push({
        kind: 'error-spike',
        subject: 'Errors',
        severity: rate >= 0.2 ? 'high' : 'medium',
        title: `Error rate ${pct(rate)} against ${pct(baseErr / Math.max(baseInv, 1))} in the baseline`,
        detail: `${detErr} of ${detectTotal} invocations failed in the detection window; at the baseline's error rate about ${Math.round(expectedErrors)} would have (chance ${fmtP(p)}).`,
        recommendation: "Open the function's CloudWatch Logs for the detection window, and compare with its last deployment.",
        evidence: {
          observed: detErr,
          expected: round(expectedErrors),
          invocations: detectTotal,
          baselineRate: round(baseErr / Math.max(baseInv, 1), 5),
        },
      });
    }
  }

  const detThr = summary.totals.detect.Throttles;
  const baseThrPerHour = sumRange(thr, b0, baselineHours) / Math.max(baselineHours - b0, 1);
  const expectedThr = baseThrPerHour * detectHours;
  if (!invocationSpike && detThr >= 3 * expectedThr + ERROR_MIN_EXCESS && poissonUpperTail(detThr, Math.max(expectedThr, 0.1)) < P_SPIKE) {
    findings.push({
      kind: 'throttle-spike',
      subject: 'Throttles',
      severity: 'medium',
      title: `${detThr} throttled invocations against about ${round(expectedThr)} expected`,
      detail: `Lambda refused ${detThr} invocations for lack of concurrency in the detection window; the baseline averages ${round(baseThrPerHour * 24)} a day.`,
      recommendation: "Check the function's reserved concurrency and the account's concurrency limit, and what else ran at the time.",
      evidence: { observed: detThr, expected: round(expectedThr) },
    });
  }
  return { findings, summary, activeHours };
}

function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** A count people read: whole from one up, two significant digits below (0.05, not 0). */
export function fmtCount(v: number): string {
  if (v >= 1 || v === 0) return String(Math.round(v));
  return String(Number(v.toPrecision(2)));
}

/**
 * How often a function usually runs in an hour of the day, as a clause: `it usually runs about 12 times (baseline mean)`;
 * below once an hour with its decimals and what that is a day (`… 0.05 times an hour (baseline mean), about once a day`),
 * so that a daily job is not said to run "about 0 times".
 */
export function usualHourly(mu: number): string {
  if (mu >= 1) return `it usually runs about ${Math.round(mu)} times (baseline mean)`;
  if (mu <= 0) return 'it never ran in the baseline';
  const perDay = mu * 24;
  const daily =
    perDay >= 1.5
      ? `about ${Math.round(perDay)} times a day`
      : perDay >= 0.75
        ? 'about once a day'
        : `about once every ${Math.round(1 / perDay)} days`;
  return `it usually runs ${fmtCount(mu)} times an hour (baseline mean), ${daily}`;
}

function fmtRatio(r: number): string {
  return r >= 10 ? `${Math.round(r)}×` : `${round(r)}×`;
}

function fmtP(p: number): string {
  return p < 1e-12 ? 'below 1 in a trillion' : `about 1 in ${Math.round(1 / p).toLocaleString('en-US')}`;
}

function pct(r: number): string {
  return `${round(r * 100, 2)}%`;
}
