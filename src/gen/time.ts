// Time arithmetic for the recorded span: the baseline days, the last-24-hour detection window, and ISO strings as the SDK prints them.
import type { Span } from './model';

/** The generator counts in epoch seconds (flow logs do); the engine's HOUR_MS (src/core/time.ts) is milliseconds. */
export const HOUR_S = 3600;
export const DAY_S = 24 * HOUR_S;

export function makeSpan(now: number, days: number): Span {
  const end = now - (now % HOUR_S);
  const start = end - days * DAY_S;
  const detectStart = end - DAY_S;
  return { start, detectStart, end, hours: days * 24, detectHour: (detectStart - start) / HOUR_S };
}

/** `2026-11-23T00:00:00Z`: the SDK's Date serialisation without milliseconds, as the samples store it. */
export function iso(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Lambda's own LastModified format: `2026-10-19T13:42:07.512+0000`. */
export function lambdaTimestamp(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('Z', '+0000');
}

/** `20261122T134702`, the timestamp inside awslambda_ session names. */
export function compactTimestamp(epochSeconds: number): string {
  return iso(epochSeconds).replace(/[-:]/g, '').replace('Z', '');
}

export function parseNow(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`--now: not an ISO-8601 time: ${text}`);
  return Math.floor(ms / 1000);
}

/**
 * Relative traffic at a UTC hour: a trough at 02:00 and a peak at 14:00 (shifted by `phase`),
 * a little lower on weekends. Mean over a week is about 0.6.
 */
export function diurnal(epochSeconds: number, phase: number): number {
  const hourOfDay = ((epochSeconds % DAY_S) / HOUR_S - phase + 24) % 24;
  const day = Math.cos((2 * Math.PI * (hourOfDay - 14)) / 24);
  const weekday = new Date(epochSeconds * 1000).getUTCDay();
  const weekend = weekday === 0 || weekday === 6 ? 0.85 : 1;
  return (0.6 + 0.4 * day) * weekend;
}

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/** Indexes of the hours, within the span, at which a weekly schedule fires. */
export function weeklyHours(span: Span, weekday: number, hour: number): number[] {
  const out: number[] = [];
  for (let h = 0; h < span.hours; h++) {
    const t = span.start + h * HOUR_S;
    const d = new Date(t * 1000);
    if (d.getUTCDay() === weekday && d.getUTCHours() === hour) out.push(h);
  }
  return out;
}
