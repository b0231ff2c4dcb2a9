// One account's cache as data: empty, merged with another process's, pruned to its bound, summarised, and checked when loaded.
import type { EpochMs } from '../model';
import { DAY_MS, HOUR_MS } from '../time';
import type { CacheAccount, HourCacheData } from './port';

/**
 * The sections and what an hour of each holds. Two hold no items, only hours that mark their neighbour's: `flowsSampled`,
 * an hour stored while it was in a detection window, so its ACCEPT rows kept their raw-line samples (a baseline hour's do
 * not, as in the engine); `metricsNone`, an hour of a metric the source returned no series for (a recording without it).
 */
export const CACHE_SECTIONS = ['flows', 'flowsSampled', 'calls', 'callRows', 'management', 'metrics', 'metricsNone'] as const;
/** The marking sections, pruned with the section they mark and not counted as hours of their own. */
const MARKS: Record<string, string> = { flowsSampled: 'flows', metricsNone: 'metrics' };
export type CacheSection = (typeof CACHE_SECTIONS)[number];

/** Scans that asked within this long keep the hours they asked for; older asks no longer hold hours in the cache. */
export const IN_USE_DAYS = 30;
/** Management events are looked up over CloudTrail's 90 days: older hours (and a day's slack) are dropped. */
export const MANAGEMENT_KEEP_MS = 91 * DAY_MS;

export function emptyCacheData(account: CacheAccount): HourCacheData {
  return { version: 1, accountId: account.accountId, region: account.region, sections: {} };
}

/** The union of two caches' hours; `b` wins on a clash (the same section, key and hour). Neither argument is changed. */
export function mergeCacheData(a: HourCacheData, b: HourCacheData): HourCacheData {
  const sections: HourCacheData['sections'] = {};
  for (const data of [a, b]) {
    for (const [section, keys] of Object.entries(data.sections)) {
      const outKeys = (sections[section] ??= {});
      for (const [key, hours] of Object.entries(keys)) outKeys[key] = { ...outKeys[key], ...hours };
    }
  }
  const inUseFrom: Record<string, EpochMs> = { ...a.inUseFrom };
  for (const [k, v] of Object.entries(b.inUseFrom ?? {})) inUseFrom[k] = k in inUseFrom ? Math.min(inUseFrom[k], v) : v;
  return { ...b, sections, ...(Object.keys(inUseFrom).length ? { inUseFrom } : {}) };
}

/** The `inUseFrom` entry of a section for the day `now` falls in: one entry a day, so that old asks age out. */
function inUseKey(section: string, now: EpochMs): string {
  return `${section}@${Math.floor(now / DAY_MS) * DAY_MS}`;
}

/** Notes that a scan at `now` asked a section for hours from `start` on: they are kept while such asks are recent. */
export function noteInUse(data: HourCacheData, section: string, start: EpochMs, now: EpochMs): void {
  const key = inUseKey(section, now);
  const inUse = (data.inUseFrom ??= {});
  inUse[key] = Math.min(inUse[key] ?? Infinity, start);
}

/** The oldest hour of a section that asks of the last `IN_USE_DAYS` days reach: undefined when none asked. */
function inUseBound(data: HourCacheData, section: string, now: EpochMs): EpochMs | undefined {
  let bound: EpochMs | undefined;
  for (const [key, from] of Object.entries(data.inUseFrom ?? {})) {
    const at = key.lastIndexOf('@');
    if (key.slice(0, at) !== section || Number(key.slice(at + 1)) < now - IN_USE_DAYS * DAY_MS) continue;
    bound = bound === undefined ? from : Math.min(bound, from);
  }
  return bound;
}

/**
 * The cache within its bound: management events of CloudTrail's 90 days (and a day), the other sections' hours from the
 * oldest start a scan of the last 30 days asked for (a section no scan asked of in that time is dropped whole); asks older
 * than that forgotten. Keys left with no hour are dropped. A bound only ever costs a fetch, never a wrong finding.
 */
export function pruneCacheData(data: HourCacheData, now: EpochMs): HourCacheData {
  const sections: HourCacheData['sections'] = {};
  for (const [section, keys] of Object.entries(data.sections)) {
    const bound = section === 'management' ? now - MANAGEMENT_KEEP_MS : inUseBound(data, MARKS[section] ?? section, now);
    if (bound === undefined) continue;
    const outKeys: Record<string, Record<string, unknown[]>> = {};
    for (const [key, hours] of Object.entries(keys)) {
      const kept = Object.entries(hours).filter(([hour]) => Number(hour) >= bound);
      if (kept.length) outKeys[key] = Object.fromEntries(kept);
    }
    if (Object.keys(outKeys).length) sections[section] = outKeys;
  }
  const inUseFrom = Object.fromEntries(
    Object.entries(data.inUseFrom ?? {}).filter(([key]) => Number(key.slice(key.lastIndexOf('@') + 1)) >= now - IN_USE_DAYS * DAY_MS),
  );
  const out: HourCacheData = { version: 1, accountId: data.accountId, region: data.region, sections };
  if (Object.keys(inUseFrom).length) out.inUseFrom = inUseFrom;
  return out;
}

/** Hours held (one source's hour of one key), the oldest and newest, and hours by section: for the panel and `cache` command. */
export function cacheSummary(data: HourCacheData): { hours: number; oldest?: number; newest?: number; bySection: Record<string, number> } {
  let hours = 0;
  let oldest = Infinity;
  let newest = -Infinity;
  const bySection: Record<string, number> = {};
  for (const [section, keys] of Object.entries(data.sections)) {
    if (section in MARKS) continue;
    let n = 0;
    for (const byHour of Object.values(keys)) {
      for (const hour of Object.keys(byHour)) {
        n++;
        oldest = Math.min(oldest, Number(hour));
        newest = Math.max(newest, Number(hour));
      }
    }
    bySection[section] = n;
    hours += n;
  }
  return { hours, ...(hours ? { oldest, newest } : {}), bySection };
}

// ---------------------------------------------------------------- the shape check of a loaded file

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);
const isStringArray = (v: unknown) => Array.isArray(v) && v.every(isString);
const inHour = (t: unknown, hour: number) => isNumber(t) && t >= hour && t < hour + HOUR_MS;

function isFlowRow(v: unknown, hour: number): boolean {
  return (
    isObject(v) &&
    isString(v.eniId) &&
    isString(v.remoteAddress) &&
    isNumber(v.remotePort) &&
    isNumber(v.protocol) &&
    (v.action === 'ACCEPT' || v.action === 'REJECT') &&
    v.hour === hour &&
    isNumber(v.flows) &&
    isNumber(v.packets) &&
    isNumber(v.bytes) &&
    isNumber(v.first) &&
    isNumber(v.last) &&
    optional(v.samples, isStringArray) &&
    optional(v.remoteService, isString)
  );
}

function isEvent(v: unknown, hour: number): boolean {
  return (
    isObject(v) &&
    isString(v.eventId) &&
    inHour(v.eventTime, hour) &&
    isString(v.eventSource) &&
    isString(v.eventName) &&
    ['sessionName', 'roleName', 'principalArn', 'errorCode', 'errorMessage', 'userAgent', 'sourceIp', 'actor'].every((k) =>
      optional(v[k], isString),
    ) &&
    optional(v.requestParameters, isObject) &&
    optional(v.responseElements, isObject)
  );
}

function isCallRow(v: unknown, hour: number): boolean {
  return (
    isObject(v) &&
    isString(v.sessionName) &&
    optional(v.roleName, isString) &&
    optional(v.principalArn, isString) &&
    isString(v.eventSource) &&
    isString(v.eventName) &&
    optional(v.errorCode, isString) &&
    isNumber(v.count) &&
    inHour(v.first, hour) &&
    inHour(v.last, hour) &&
    isStringArray(v.eventIds) &&
    optional(v.errorMessages, isStringArray)
  );
}

const isPoint = (v: unknown, hour: number) => isObject(v) && inHour(v.t, hour) && isNumber(v.v);

const ITEM_CHECKS: Record<CacheSection, (v: unknown, hour: number) => boolean> = {
  flows: isFlowRow,
  flowsSampled: () => false,
  calls: isEvent,
  callRows: isCallRow,
  management: isEvent,
  metrics: isPoint,
  metricsNone: () => false,
};

/**
 * Whether a loaded value is a cache this version wrote: every section known, every hour a whole hour, every item of its
 * section's shape and in its hour. Anything else (a foreign version, a hand-edited file) is no cache at all: hours are
 * fetched again rather than trusted.
 */
export function isHourCacheData(value: unknown): value is HourCacheData {
  if (!isObject(value) || value.version !== 1 || !isString(value.accountId) || !isString(value.region) || !isObject(value.sections))
    return false;
  if (!optional(value.inUseFrom, (v) => isObject(v) && Object.values(v).every(isNumber))) return false;
  for (const [section, keys] of Object.entries(value.sections)) {
    if (!(CACHE_SECTIONS as readonly string[]).includes(section) || !isObject(keys)) return false;
    const check = ITEM_CHECKS[section as CacheSection];
    for (const byHour of Object.values(keys)) {
      if (!isObject(byHour)) return false;
      for (const [hourText, items] of Object.entries(byHour)) {
        const hour = Number(hourText);
        if (!/^-?\d+$/.test(hourText) || hour % HOUR_MS !== 0 || !Array.isArray(items)) return false;
        if (!items.every((item) => check(item, hour))) return false;
      }
    }
  }
  return true;
}
