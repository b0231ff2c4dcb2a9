// A TelemetrySource that fetches each closed hour once: closed hours from the cache, the missing ones from the source it wraps, saved once a scan.
import { METRIC_STAT, type EpochMs, type MetricName, type MetricSeries, type ScanReads, type TrailEvent } from '../model';
import type {
  AccountInfo,
  FlowData,
  FlowReadRequest,
  ManagementEventsRequest,
  MetricsRequest,
  TelemetrySource,
  TrailCalls,
  TrailCallsRequest,
  TrailRequest,
} from '../ports';
import type { FlowLogConfig } from '../model';
import { HOUR_MS } from '../time';
import { HourBook } from './book';
import { emptyCacheData, isHourCacheData } from './data';
import { addCachedHours, callRowItems, eventItems, fetchesOf, storeFetched } from './event-hours';
import { flowRequestCacheable, readFlowLogThroughCache } from './flow-hours';
import { hourOf, hoursIn, inRange, isHourAligned } from './hours';
import type { CacheAccount, HourCacheStore } from './port';

export interface HourCacheOptions {
  store: HourCacheStore;
  /** Default Date.now: which hours are closed. */
  clock?: () => number;
  /** Default 2: the trailing closed hours re-fetched every scan (late records). */
  marginHours?: number;
}

/** The decorated source, with the moment its cache is written made explicit for callers that end a scan early. */
export interface HourCachedSource extends TelemetrySource {
  /** Saves what this scan fetched, unless it was cancelled (also done after `getMetrics`, the scan's last read). */
  flush(): Promise<void>;
  /** Saves (as `flush`) and disposes of the wrapped source. */
  dispose(): Promise<void>;
}

export const DEFAULT_MARGIN_HOURS = 2;

/**
 * Wraps `source` so that each key's closed hours (an ENI's flows, a session's calls, an event name's management events, a
 * function's metrics) are fetched once and then answered from `options.store`. The cache is loaded on the first read that
 * uses it and saved once a scan: after `getMetrics` (the engine's last stage) or on `flush()`/`dispose()`; never when the
 * scan's signal aborted. A request that is not on the hour (no engine request is off it) passes through uncached.
 */
export function withHourCache(source: TelemetrySource, options: HourCacheOptions): HourCachedSource {
  const cached = new CachedSource(source, options);
  // The engine asks whether a source has these: the decorated one has them exactly when the wrapped one does.
  const optional: Partial<TelemetrySource> = {
    ...(source.trailCalls ? { trailCalls: (r: TrailCallsRequest, s: AbortSignal) => cached.trailCalls(r, s) } : {}),
    ...(source.lookupManagementEvents
      ? { lookupManagementEvents: (r: ManagementEventsRequest, s: AbortSignal) => cached.lookupManagementEvents(r, s) }
      : {}),
    ...(source.ipRanges ? { ipRanges: (s: AbortSignal) => source.ipRanges!(s) } : {}),
  };
  return {
    label: source.label,
    account: (s) => cached.account(s),
    listFunctions: (s) => source.listFunctions(s),
    listNetworkInterfaces: (s) => source.listNetworkInterfaces(s),
    describeFlowLogs: (s) => source.describeFlowLogs(s),
    readFlowLog: (f, r, s) => cached.readFlowLog(f, r, s),
    lookupEvents: (r, s) => cached.lookupEvents(r, s),
    getMetrics: (r, s) => cached.getMetrics(r, s),
    takeNotices: () => cached.takeNotices(),
    takeReads: () => cached.takeReads(),
    flush: () => cached.flush(),
    dispose: () => cached.dispose(),
    ...optional,
  };
}

class CachedSource {
  private readonly store: HourCacheStore;
  private readonly clock: () => EpochMs;
  private readonly marginHours: number;
  private accountSeen: CacheAccount | undefined;
  private loading: Promise<HourBook> | undefined;
  private readonly notices: string[] = [];
  private readonly watched = new WeakSet<AbortSignal>();
  /** Hours answered by passing a request through (not on the hour): fetched, never stored. */
  private passedThrough = 0;

  constructor(
    private readonly inner: TelemetrySource,
    options: HourCacheOptions,
  ) {
    this.store = options.store;
    this.clock = options.clock ?? Date.now;
    this.marginHours = options.marginHours ?? DEFAULT_MARGIN_HOURS;
  }

  async account(signal: AbortSignal): Promise<AccountInfo> {
    const info = await this.inner.account(signal);
    this.accountSeen ??= { accountId: info.accountId, region: info.region };
    return info;
  }

  async *readFlowLog(flowLog: FlowLogConfig, request: FlowReadRequest, signal: AbortSignal): AsyncIterable<FlowData> {
    if (!flowRequestCacheable(request)) {
      this.passedThrough += request.enis.length * hoursSpanned(request);
      yield* this.inner.readFlowLog(flowLog, request, signal);
      return;
    }
    const book = await this.book(signal);
    yield* readFlowLogThroughCache(book, this.inner, flowLog, request, signal, `the cache of closed hours (${this.store.location})`);
  }

  async *lookupEvents(request: TrailRequest, signal: AbortSignal): AsyncIterable<TrailEvent[]> {
    if (!isHourAligned(request)) {
      this.passedThrough += request.sessionNames.length * hoursSpanned(request);
      yield* this.inner.lookupEvents(request, signal);
      return;
    }
    const book = await this.book(signal);
    book.noteInUse('calls', request.start);
    const plan = book.plan('calls', request.sessionNames, (k) => k, request);
    book.tally(plan);
    const items = eventItems(request.sessionNames, request, (e) => e.sessionName);
    addCachedHours(book, 'calls', plan.cached, items);
    for (const { keys, range } of fetchesOf(plan.groups)) {
      const events: TrailEvent[] = [];
      for await (const page of this.inner.lookupEvents({ ...request, ...range, sessionNames: keys }, signal)) events.push(...page);
      const own = items.addFetched(new Set(keys), range, events);
      if (!signal.aborted) storeFetched(book, 'calls', keys, range, own);
    }
    const events = items.ordered(request.sessionNames);
    if (events.length) yield events;
  }

  async trailCalls(request: TrailCallsRequest, signal: AbortSignal): Promise<TrailCalls | undefined> {
    if (!isHourAligned(request) || request.splitAt % HOUR_MS !== 0) {
      this.passedThrough += request.sessionNames.length * hoursSpanned(request);
      return this.inner.trailCalls!(request, signal);
    }
    const book = await this.book(signal);
    book.noteInUse('callRows', request.start);
    const plan = book.plan('callRows', request.sessionNames, (k) => k, request);
    const items = callRowItems(request.sessionNames, request);
    addCachedHours(book, 'callRows', plan.cached, items);
    const reads: string[] = [];
    for (const { keys, range } of fetchesOf(plan.groups)) {
      const answer = await this.inner.trailCalls!({ ...request, ...range, sessionNames: keys }, signal);
      // No query engine (or its query failed): the engine pages LookupEvents, which the cache answers too.
      if (!answer) return undefined;
      reads.push(answer.read);
      const own = items.addFetched(new Set(keys), range, answer.rows);
      if (!signal.aborted) storeFetched(book, 'callRows', keys, range, own);
    }
    book.tally(plan);
    if (plan.fromCache) reads.push(`${plan.fromCache} session-hour(s) from the cache of closed hours (${this.store.location})`);
    return { rows: items.ordered(request.sessionNames), read: reads.join('; ') };
  }

  /**
   * Events by name, by hour of the range only: a source that returns events outside the range (a recording returns all it
   * has) has those handed on from each fetch, once, and never stored.
   */
  async *lookupManagementEvents(request: ManagementEventsRequest, signal: AbortSignal): AsyncIterable<TrailEvent[]> {
    const names = [...request.eventNames];
    if (!isHourAligned(request)) {
      this.passedThrough += names.length * hoursSpanned(request);
      yield* this.inner.lookupManagementEvents!(request, signal);
      return;
    }
    const book = await this.book(signal);
    const plan = book.plan('management', names, (k) => k, request);
    book.tally(plan);
    const items = eventItems(names, request, (e) => e.eventName);
    addCachedHours(book, 'management', plan.cached, items);
    for (const { keys, range } of fetchesOf(plan.groups)) {
      const events: TrailEvent[] = [];
      for await (const page of this.inner.lookupManagementEvents!({ ...request, ...range, eventNames: keys }, signal)) events.push(...page);
      const own = items.addFetched(new Set(keys), range, events);
      if (!signal.aborted) storeFetched(book, 'management', keys, range, own);
    }
    const events = items.ordered(names);
    if (events.length) yield events;
  }

  /** The scan's last read: once it is answered (or has failed), the scan's hours are saved, unless it was cancelled. */
  async getMetrics(request: MetricsRequest, signal: AbortSignal): Promise<MetricSeries[]> {
    try {
      if (request.periodSeconds !== 3600 || !isHourAligned(request)) {
        this.passedThrough += request.functionNames.length * hoursSpanned(request);
        return await this.inner.getMetrics(request, signal);
      }
      return await this.metricsThroughCache(request, signal);
    } finally {
      if (!signal.aborted) await this.flush();
    }
  }

  private async metricsThroughCache(request: MetricsRequest, signal: AbortSignal): Promise<MetricSeries[]> {
    const book = await this.book(signal);
    book.noteInUse('metrics', request.start);
    const metrics = [...request.metrics];
    const key = (fn: string, metric: string) => `${fn} ${metric}`;
    // A function's hour is cached when each of its metrics has it (or is known to have no series): they are fetched together.
    const has = (fn: string, m: string, hour: EpochMs) =>
      book.get('metrics', key(fn, m), hour) !== undefined || book.get('metricsNone', key(fn, m), hour) !== undefined;
    const plan = book.plan(
      'metrics',
      request.functionNames,
      (fn) => fn,
      request,
      (fn, hour) => metrics.every((m) => has(fn, m, hour)),
    );
    book.tally(plan);
    const series = new Map<string, MetricSeries>();
    const seriesOf = (fn: string, metric: MetricName, stat = METRIC_STAT[metric]) => {
      let s = series.get(key(fn, metric));
      if (!s) series.set(key(fn, metric), (s = { functionName: fn, metric, stat, periodSeconds: request.periodSeconds, points: [] }));
      return s;
    };
    // Hours of `metrics` are stored only for series the source returned: such a cached hour means the series exists.
    for (const [fn, hours] of plan.cached) {
      for (const metric of metrics) {
        for (const hour of hours) {
          const points = book.get('metrics', key(fn, metric), hour) as MetricSeries['points'] | undefined;
          if (points) seriesOf(fn, metric).points.push(...points);
        }
      }
    }
    for (const group of plan.groups) {
      for (const range of group.ranges) {
        const answer = await this.inner.getMetrics({ ...request, ...range, functionNames: group.keys }, signal);
        const wanted = new Set(group.keys);
        const returned = new Set<string>();
        for (const s of answer) {
          if (!wanted.has(s.functionName) || !metrics.includes(s.metric)) continue;
          returned.add(key(s.functionName, s.metric));
          const out = seriesOf(s.functionName, s.metric, s.stat);
          const byHour = new Map<EpochMs, MetricSeries['points']>();
          for (const p of s.points) {
            if (inRange(p.t, range)) {
              out.points.push(p);
              const list = byHour.get(hourOf(p.t));
              if (list) list.push(p);
              else byHour.set(hourOf(p.t), [p]);
            } else if (!inRange(p.t, request) && !out.points.some((q) => q.t === p.t)) out.points.push(p);
          }
          if (signal.aborted) continue;
          for (const hour of hoursIn(range)) book.put('metrics', key(s.functionName, s.metric), hour, byHour.get(hour) ?? []);
        }
        if (signal.aborted) continue;
        for (const fn of group.keys) {
          for (const metric of metrics) {
            if (returned.has(key(fn, metric))) continue;
            for (const hour of hoursIn(range)) book.put('metricsNone', key(fn, metric), hour, []);
          }
        }
      }
    }
    // In the order the source would give them: function by function, metric by metric.
    const out: MetricSeries[] = [];
    for (const fn of request.functionNames) {
      for (const metric of metrics) {
        const s = series.get(key(fn, metric));
        if (s) out.push(s);
      }
    }
    return out;
  }

  takeNotices(): string[] {
    return [...(this.inner.takeNotices?.() ?? []), ...this.notices.splice(0)];
  }

  takeReads(): ScanReads {
    const reads = this.inner.takeReads?.() ?? { requests: {}, bytesScanned: 0, bytesDownloaded: 0, estimates: [] };
    const figures = this.loadedBook?.takeFigures() ?? { hoursFromCache: 0, hoursFetched: 0, bySection: {} };
    const hoursFetched = figures.hoursFetched + this.passedThrough;
    this.passedThrough = 0;
    return {
      ...reads,
      cache: {
        location: this.store.location,
        hoursFromCache: figures.hoursFromCache,
        hoursFetched,
        ...(Object.keys(figures.bySection).length ? { bySection: figures.bySection } : {}),
      },
    };
  }

  async flush(): Promise<void> {
    const book = this.loadedBook;
    if (!book?.changed) return;
    const data = book.commit();
    try {
      await this.store.save(book.account, data);
    } catch (err) {
      // The store logs its own failures; one that throws still costs only a fetch next time.
      this.notices.push(`the cache of closed hours could not be saved in ${this.store.location}: ${(err as Error).message}`);
    }
  }

  async dispose(): Promise<void> {
    try {
      await this.flush();
    } finally {
      (this.inner as { dispose?: () => unknown }).dispose?.();
    }
  }

  private loadedBook: HourBook | undefined;
  /** The signal of the scan reading through this source now. */
  private scanSignal: AbortSignal | undefined;

  /** The cache, loaded on first use; a cancelled scan's hours are dropped the moment its signal aborts. */
  private book(signal: AbortSignal): Promise<HourBook> {
    this.scanSignal = signal;
    if (!this.watched.has(signal)) {
      this.watched.add(signal);
      // Only the scan under way: a signal aborted once its scan is over (a progress bar disposed) takes nothing of the next.
      signal.addEventListener('abort', () => signal === this.scanSignal && this.loadedBook?.discard(), { once: true });
    }
    this.loading ??= this.load(signal).then(
      (book) => (this.loadedBook = book),
      (err: unknown) => {
        this.loading = undefined;
        throw err;
      },
    );
    return this.loading;
  }

  private async load(signal: AbortSignal): Promise<HourBook> {
    const account = this.accountSeen ?? (await this.account(signal));
    let loaded;
    try {
      loaded = await this.store.load(account);
    } catch (err) {
      loaded = {
        warning: `the cache of closed hours in ${this.store.location} could not be read (${(err as Error).message}): rebuilt from AWS`,
      };
    }
    if (loaded.warning) this.notices.push(loaded.warning);
    let data = loaded.data;
    // A file of another account, or of a shape this version did not write, is no cache: every hour is fetched again.
    if (data && (!isHourCacheData(data) || data.accountId !== account.accountId || data.region !== account.region)) {
      this.notices.push(`the cache of closed hours in ${this.store.location} is not one of this account and version: rebuilt from AWS`);
      data = undefined;
    }
    return new HourBook(account, data ?? emptyCacheData(account), this.clock, this.marginHours);
  }
}

/** Hours a request spans, partial ones counted whole. */
function hoursSpanned(range: { start: EpochMs; end: EpochMs }): number {
  return Math.max(0, Math.ceil(range.end / HOUR_MS) - Math.floor(range.start / HOUR_MS));
}
