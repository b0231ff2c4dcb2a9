// A TelemetrySource wrapper that numbers every port call (pages and chunks included) and lets a test act at call n: cancellation at every stage.
import type { FlowData, TelemetrySource } from '../../src/core/ports';

export type CallHook = (n: number, name: string) => void;

export interface CountingOptions {
  /** Runs before call n is forwarded (abort here: the source sees an aborted signal). */
  before?: CallHook;
  /** Runs once call n has answered (abort here: the source finished as if nothing happened). */
  after?: CallHook;
  /** Hand the source a signal that never aborts: a source that ignores cancellation. */
  deaf?: boolean;
  /** Serve flow logs as rows already aggregated (as Logs Insights does) instead of raw records. */
  aggregated?: boolean;
}

export interface CountingSource extends TelemetrySource {
  readonly calls: string[];
}

export function countingSource(inner: TelemetrySource, options: CountingOptions = {}): CountingSource {
  const calls: string[] = [];
  const quiet = new AbortController().signal;
  const pass = (signal: AbortSignal) => (options.deaf ? quiet : signal);
  const enter = (name: string) => {
    calls.push(name);
    const n = calls.length;
    options.before?.(n, name);
    return n;
  };
  async function wrap<T>(name: string, run: () => Promise<T>): Promise<T> {
    const n = enter(name);
    const value = await run();
    options.after?.(n, name);
    return value;
  }
  async function* pages<T>(name: string, iterable: AsyncIterable<T>, map: (item: T) => T = (x) => x): AsyncGenerator<T> {
    const it = iterable[Symbol.asyncIterator]();
    try {
      for (;;) {
        const n = enter(name);
        const r = await it.next();
        options.after?.(n, name);
        if (r.done) return;
        yield map(r.value);
      }
    } finally {
      await it.return?.();
    }
  }
  const flowData = (d: FlowData): FlowData => (d.kind === 'raw' ? { ...d, chunks: pages('readFlowLog.chunk', d.chunks) } : d);
  return {
    label: inner.label,
    calls,
    account: (s) => wrap('account', () => inner.account(pass(s))),
    listFunctions: (s) => wrap('listFunctions', () => inner.listFunctions(pass(s))),
    listNetworkInterfaces: (s) => wrap('listNetworkInterfaces', () => inner.listNetworkInterfaces(pass(s))),
    describeFlowLogs: (s) => wrap('describeFlowLogs', () => inner.describeFlowLogs(pass(s))),
    readFlowLog: (flowLog, request, s) => {
      if (!options.aggregated) return pages('readFlowLog', inner.readFlowLog(flowLog, request, pass(s)), flowData);
      async function* aggregated(): AsyncGenerator<FlowData> {
        yield { kind: 'aggregated', source: `aggregated ${flowLog.id}`, rows: [] };
      }
      return pages('readFlowLog', aggregated());
    },
    lookupEvents: (request, s) => pages('lookupEvents', inner.lookupEvents(request, pass(s))),
    getMetrics: (request, s) => wrap('getMetrics', () => inner.getMetrics(request, pass(s))),
    ...(inner.ipRanges ? { ipRanges: (s: AbortSignal) => wrap('ipRanges', () => inner.ipRanges!(pass(s))) } : {}),
  };
}
