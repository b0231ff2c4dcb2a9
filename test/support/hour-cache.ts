// Test helpers for the cache of closed hours: a source that answers LookupEvents as AWS does, one that counts what it is asked, and the part of a report a cached scan must reproduce.
import { FlowAggregator } from '../../src/core/flowlog/aggregate';
import { parseLogFormat } from '../../src/core/flowlog/format';
import type { FlowLogConfig, ScanReport, TrailEvent } from '../../src/core/model';
import type { FlowData, FlowReadRequest, TelemetrySource, TrailRequest } from '../../src/core/ports';

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
