// Test helpers for the cache of closed hours: a source that answers LookupEvents as AWS does, one that counts what it is asked, and the part of a report a cached scan must reproduce.
import { FlowAggregator } from '../../src/core/flowlog/aggregate';
import { parseLogFormat } from '../../src/core/flowlog/format';
import type { FlowLogConfig, ScanReport, TrailEvent } from '../../src/core/model';
import type {
  FlowData,
  FlowReadRequest,
  TelemetrySource,
  TrailCallRow,
  TrailCalls,
  TrailCallsRequest,
  TrailRequest,
} from '../../src/core/ports';
import { HOUR_MS } from '../../src/core/time';

/**
 * A recording answering `lookupEvents` as LookupEvents by `Username` does: only the sessions asked for, newest first. A
 * recording returns every event of the range, other identities' too, which no live source does: the cache keeps the
 * sessions it was asked for.
 */
export function liveLike(source: TelemetrySource): TelemetrySource {
  return new Proxy(source, {
    get(target, prop, receiver) {
      if (prop !== 'lookupEvents') return Reflect.get(target, prop, receiver);
      return async function* (request: TrailRequest, signal: AbortSignal): AsyncIterable<TrailEvent[]> {
        const names = new Set(request.sessionNames);
        const events: TrailEvent[] = [];
        for await (const page of target.lookupEvents(request, signal)) events.push(...page.filter((e) => names.has(e.sessionName ?? '')));
        yield events
          .map((e, i) => ({ e, i }))
          .sort((a, b) => b.e.eventTime - a.e.eventTime || a.i - b.i)
          .map((x) => x.e);
      };
    },
  });
}

export interface CountedRequest {
  what: string;
  start: number;
  end: number;
  keys: number;
}

/** The source with every time-ranged request it is asked recorded (flow logs, events, call rows, management events, metrics). */
export function countingSource(source: TelemetrySource): TelemetrySource & { requests: CountedRequest[] } {
  const requests: CountedRequest[] = [];
  const ranged = new Set(['readFlowLog', 'lookupEvents', 'trailCalls', 'lookupManagementEvents', 'getMetrics']);
  const proxy = new Proxy(source, {
    get(target, prop, receiver) {
      if (prop === 'requests') return requests;
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !ranged.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const request = (prop === 'readFlowLog' ? args[1] : args[0]) as { start: number; end: number } & Record<string, unknown[]>;
        const keys = request.enis ?? request.sessionNames ?? request.eventNames ?? request.functionNames ?? [];
        requests.push({ what: prop, start: request.start, end: request.end, keys: keys.length });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return proxy as TelemetrySource & { requests: CountedRequest[] };
}

/** What a cached scan must find as an uncached one does: each function's findings, peers, API calls, ENIs and metrics. */
export function comparable(report: ScanReport): unknown {
  return report.functions.map((f) => ({
    name: f.name,
    findings: f.findings,
    peers: f.peers,
    apiCalls: f.apiCalls,
    enis: f.enis,
    metrics: f.metrics,
  }));
}

/**
 * A recording answering flow logs as Logs Insights does: rows already aggregated by ENI, peer and hour over the range
 * asked for, without raw-line samples (the engine's own aggregator stands in for the query).
 */
export function insightsLike(source: TelemetrySource): TelemetrySource {
  return new Proxy(source, {
    get(target, prop, receiver) {
      if (prop !== 'readFlowLog') return Reflect.get(target, prop, receiver);
      return async function* (flowLog: FlowLogConfig, request: FlowReadRequest, signal: AbortSignal): AsyncIterable<FlowData> {
        // Far past any scan: no row keeps samples, as Insights rows have none.
        const agg = new FlowAggregator(request.enis, request, Number.MAX_SAFE_INTEGER);
        const format = parseLogFormat(flowLog.logFormat);
        for await (const data of target.readFlowLog(flowLog, { ...request, localParse: undefined }, signal)) {
          if (data.kind !== 'raw') continue;
          const stream = agg.stream(format, data.source);
          for await (const chunk of data.chunks) stream.push(chunk);
          stream.end();
        }
        const rows = agg.aggregates().map((r) => {
          const bare = { ...r };
          delete bare.samples;
          return bare;
        });
        yield { kind: 'aggregated', source: `Logs Insights (stand-in) on ${flowLog.id}`, rows };
      };
    },
  });
}

/**
 * A recording answering `trailCalls` as CloudTrail Lake does: the sessions' events grouped by call, error and hour (hours
 * counted from `splitAt`). Lake gives rows in no defined order; this one gives them session by session, newest hour first.
 */
export function lakeLike(source: TelemetrySource): TelemetrySource {
  return new Proxy(source, {
    get(target, prop, receiver) {
      if (prop !== 'trailCalls') return Reflect.get(target, prop, receiver);
      return async (request: TrailCallsRequest, signal: AbortSignal): Promise<TrailCalls> => {
        const rows = new Map<string, TrailCallRow & { bucket: number }>();
        for await (const page of target.lookupEvents(request, signal)) {
          for (const e of page) {
            if (!request.sessionNames.includes(e.sessionName ?? '')) continue;
            const bucket = Math.floor((e.eventTime - request.splitAt) / HOUR_MS);
            const key = JSON.stringify([e.sessionName, e.roleName, e.principalArn, e.eventSource, e.eventName, e.errorCode, bucket]);
            let row = rows.get(key);
            if (!row) {
              row = {
                sessionName: e.sessionName!,
                ...(e.roleName ? { roleName: e.roleName } : {}),
                ...(e.principalArn ? { principalArn: e.principalArn } : {}),
                eventSource: e.eventSource,
                eventName: e.eventName,
                ...(e.errorCode ? { errorCode: e.errorCode } : {}),
                count: 0,
                first: e.eventTime,
                last: e.eventTime,
                eventIds: [],
                bucket,
              };
              rows.set(key, row);
            }
            row.count++;
            row.first = Math.min(row.first, e.eventTime);
            row.last = Math.max(row.last, e.eventTime);
            // LookupEvents pages newest first: the first ids met are the newest.
            if (row.eventIds.length < 5) row.eventIds.push(e.eventId);
            if (e.errorMessage && (row.errorMessages?.length ?? 0) < 2) (row.errorMessages ??= []).push(e.errorMessage);
          }
        }
        const order = (r: TrailCallRow & { bucket: number }) => request.sessionNames.indexOf(r.sessionName);
        const sorted = [...rows.values()].sort(
          (a, b) =>
            order(a) - order(b) ||
            b.bucket - a.bucket ||
            `${a.eventSource} ${a.eventName}`.localeCompare(`${b.eventSource} ${b.eventName}`),
        );
        return {
          rows: sorted.map((r) => {
            const row: Partial<typeof r> = { ...r };
            delete row.bucket;
            return row as TrailCallRow;
          }),
          read: 'CloudTrail Lake (stand-in): one query',
        };
      };
    },
  });
}
