// The cache of closed hours: hour ranges, grouping, the margin, what is stored (never a failed or cancelled fetch), a broken cache file, and the cache data's merge, bound and shape check.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { withHourCache } from '../../src/core/cache/cached-source';
import { cacheSummary, emptyCacheData, isHourCacheData, mergeCacheData, noteInUse, pruneCacheData } from '../../src/core/cache/data';
import { coalesce, groupByMissing, isClosed } from '../../src/core/cache/hours';
import { MemoryHourCacheStore } from '../../src/core/cache/memory-store';
import type { HourCacheData } from '../../src/core/cache/port';
import type { FlowLogConfig, ScanReport, TrailEvent } from '../../src/core/model';
import { SourceError, type FlowData, type FlowReadRequest, type TelemetrySource } from '../../src/core/ports';
import { scan } from '../../src/core/scan';
import { DAY_MS, HOUR_MS } from '../../src/core/time';
import { DEFAULT_LOG_FORMAT } from '../../src/core/flowlog/format';
import { openScenario } from '../../src/replay/scenario';
import { comparable, countingSource, liveLike } from '../support/hour-cache';

const DIR = path.join(__dirname, '..', 'fixtures', 'scenarios', 'demo');
const RECORDED_AT = Date.parse('2026-11-23T00:00:00Z');
const ACCOUNT = { accountId: '526018159083', region: 'us-east-1' };
const H = HOUR_MS;
const T0 = Date.parse('2026-11-20T00:00:00Z');

const recording = liveLike(openScenario(DIR, 'demo', { flowThreads: { threads: 1 } }));
const signal = () => new AbortController().signal;

function plainScan(now: number, options: Partial<Parameters<typeof scan>[1]> = {}): Promise<ScanReport> {
  return scan(recording, { now, clock: () => now, ...options });
}

function cachedScan(source: TelemetrySource, store: MemoryHourCacheStore, now: number, options: Partial<Parameters<typeof scan>[1]> = {}) {
  return scan(withHourCache(source, { store, clock: () => now }), { now, clock: () => now, ...options });
}

/** A source with its methods replaced: a failure or a delivery delay in one method, the recording in the others. */
function overriding(source: TelemetrySource, methods: Partial<TelemetrySource>): TelemetrySource {
  return new Proxy(source, {
    get: (target, prop, receiver) => (prop in methods ? methods[prop as keyof TelemetrySource] : Reflect.get(target, prop, receiver)),
  });
}

const hoursHeld = (data: HourCacheData | undefined, section: string) =>
  Object.values(data?.sections[section] ?? {}).reduce((n, byHour) => n + Object.keys(byHour).length, 0);

describe('hours', () => {
  test('coalesce: hours as the fewest ranges, in order, duplicates once', () => {
    assert.deepEqual(coalesce([]), []);
    assert.deepEqual(coalesce([T0 + 3 * H, T0, T0 + H, T0 + 5 * H, T0 + H]), [
      { start: T0, end: T0 + 2 * H },
      { start: T0 + 3 * H, end: T0 + 4 * H },
      { start: T0 + 5 * H, end: T0 + 6 * H },
    ]);
  });

  test('groupByMissing: keys that lack the same hours share a group; keys lacking nothing are left out', () => {
    const missing: Record<string, number[]> = {
      a: [T0, T0 + H],
      b: [T0 + H, T0],
      c: [T0 + H],
      d: [],
    };
    const groups = groupByMissing(Object.keys(missing), (k) => missing[k]);
    assert.deepEqual(groups, [
      { keys: ['a', 'b'], ranges: [{ start: T0, end: T0 + 2 * H }] },
      { keys: ['c'], ranges: [{ start: T0 + H, end: T0 + 2 * H }] },
    ]);
  });

  test('isClosed: an hour closes `marginHours` after its end', () => {
    assert.equal(isClosed(T0, T0 + 3 * H, 2), true);
    assert.equal(isClosed(T0, T0 + 3 * H - 1, 2), false);
    assert.equal(isClosed(T0, T0 + H, 0), true);
    assert.equal(isClosed(T0, T0 + H - 1, 0), false);
  });
});

describe('cache data', () => {
  const row = (hour: number) => ({
    eniId: 'eni-1',
    remoteAddress: '10.0.0.1',
    remotePort: 443,
    protocol: 6,
    action: 'ACCEPT',
    hour,
    flows: 1,
    packets: 2,
    bytes: 3,
    first: hour,
    last: hour + 10,
  });

  test('merge: the union of hours, the second wins a clash, the oldest ask kept', () => {
    const a = emptyCacheData(ACCOUNT);
    a.sections.flows = { 'fl eni-1': { [T0]: [row(T0)], [T0 + H]: [] } };
    a.inUseFrom = { [`flows@${T0}`]: T0 - DAY_MS };
    const b = emptyCacheData(ACCOUNT);
    b.sections.flows = { 'fl eni-1': { [T0 + H]: [row(T0 + H)] }, 'fl eni-2': { [T0]: [] } };
    b.inUseFrom = { [`flows@${T0}`]: T0 - 2 * DAY_MS };
    const m = mergeCacheData(a, b);
    assert.deepEqual(m.sections.flows, { 'fl eni-1': { [T0]: [row(T0)], [T0 + H]: [row(T0 + H)] }, 'fl eni-2': { [T0]: [] } });
    assert.deepEqual(m.inUseFrom, { [`flows@${T0}`]: T0 - 2 * DAY_MS });
    assert.deepEqual(a.sections.flows['fl eni-1'][T0 + H], [], 'the arguments are left as they were');
    assert.ok(isHourCacheData(m));
  });

  test('prune: hours before the oldest start asked in the last 30 days, sections nobody asked of, management past 91 days', () => {
    const now = T0;
    const d = emptyCacheData(ACCOUNT);
    d.sections.flows = { k: { [now - 20 * DAY_MS]: [], [now - 10 * DAY_MS]: [], [now - H]: [] } };
    d.sections.flowsSampled = { k: { [now - 20 * DAY_MS]: [], [now - H]: [] } };
    d.sections.calls = { s: { [now - H]: [] } };
    d.sections.management = { CreateNetworkInterface: { [now - 92 * DAY_MS]: [], [now - 89 * DAY_MS]: [] } };
    // Flows asked from 14 days back today, from 25 days back 40 days ago (forgotten); calls never asked.
    noteInUse(d, 'flows', now - 14 * DAY_MS, now);
    noteInUse(d, 'flows', now - 65 * DAY_MS, now - 40 * DAY_MS);
    const p = pruneCacheData(d, now);
    assert.deepEqual(p.sections.flows, { k: { [now - 10 * DAY_MS]: [], [now - H]: [] } });
    assert.deepEqual(p.sections.flowsSampled, { k: { [now - H]: [] } });
    assert.equal(p.sections.calls, undefined);
    assert.deepEqual(p.sections.management, { CreateNetworkInterface: { [now - 89 * DAY_MS]: [] } });
    assert.deepEqual(Object.keys(p.inUseFrom ?? {}), [`flows@${Math.floor(now / DAY_MS) * DAY_MS}`]);
  });

  test('summary: hours by section, oldest and newest; the marks are not hours of their own', () => {
    const d = emptyCacheData(ACCOUNT);
    d.sections.flows = { k: { [T0]: [], [T0 + H]: [] }, j: { [T0 + 5 * H]: [] } };
    d.sections.flowsSampled = { k: { [T0]: [] } };
    d.sections.metrics = { 'f Invocations': { [T0 - H]: [{ t: T0 - H, v: 1 }] } };
    assert.deepEqual(cacheSummary(d), { hours: 4, oldest: T0 - H, newest: T0 + 5 * H, bySection: { flows: 3, metrics: 1 } });
    assert.deepEqual(cacheSummary(emptyCacheData(ACCOUNT)), { hours: 0, bySection: {} });
  });

  test('shape check: a foreign version, an unknown section, a bad hour or an item of the wrong shape is no cache', () => {
    const good = emptyCacheData(ACCOUNT);
    good.sections.flows = { k: { [T0]: [row(T0)] } };
    good.sections.metrics = { 'f Invocations': { [T0]: [{ t: T0, v: 1 }] } };
    good.sections.calls = { f: { [T0]: [{ eventId: 'e', eventTime: T0 + 5, eventSource: 's', eventName: 'n', sessionName: 'f' }] } };
    assert.ok(isHourCacheData(good));
    assert.ok(isHourCacheData(JSON.parse(JSON.stringify(good))), 'a cache survives JSON');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a cache bent out of shape on purpose
    const bad = (change: (d: any) => void) => {
      const d = structuredClone(good);
      change(d);
      return isHourCacheData(d);
    };
    assert.equal(
      bad((d) => (d.version = 2)),
      false,
    );
    assert.equal(
      bad((d) => (d.sections.other = {})),
      false,
    );
    assert.equal(
      bad((d) => (d.sections.flows.k = { [T0 + 1]: [] })),
      false,
    );
    assert.equal(
      bad((d) => (d.sections.flows.k[T0][0].hour = T0 + H)),
      false,
      'a row in another hour',
    );
    assert.equal(
      bad((d) => (d.sections.flows.k[T0][0].flows = '1')),
      false,
    );
    assert.equal(
      bad((d) => (d.sections.calls.f[T0][0].eventTime = T0 + H)),
      false,
    );
    assert.equal(
      bad((d) => (d.sections.metrics['f Invocations'][T0] = [{ t: T0, v: null }])),
      false,
    );
    assert.equal(
      bad((d) => (d.sections.flowsSampled = { k: { [T0]: [1] } })),
      false,
    );
    assert.equal(
      bad((d) => (d.inUseFrom = { flows: 'x' })),
      false,
    );
    for (const v of [null, [], 'x', {}, { version: 1 }]) assert.equal(isHourCacheData(v), false);
  });
});

describe('withHourCache over a recording', () => {
  const now = RECORDED_AT - 20 * 60_000;

  test('the margin: only hours closed two hours before the clock are stored, and they are served next time', async () => {
    const store = new MemoryHourCacheStore();
    await cachedScan(recording, store, now);
    const held = store.peek(ACCOUNT)!;
    const hours = Object.keys(Object.values(held.sections.flows)[0]).map(Number);
    assert.equal(Math.max(...hours) + H, Math.floor((now - 2 * H) / H) * H, 'the newest hour stored ended two hours before the clock');
    const inner = countingSource(recording);
    await cachedScan(inner, store, now);
    const flows = inner.requests.filter((r) => r.what === 'readFlowLog');
    assert.deepEqual(
      flows.map((r) => [r.start, r.end]),
      [[Math.max(...hours) + H, Math.ceil(now / H) * H]],
    );
  });

  test('records delivered late: with the margin the cached scans equal uncached ones; without it they would not', async () => {
    // LookupEvents shows an event 45 minutes after it happened (the recording has calls late in the hour before 22:00).
    const delivered = (clock: () => number) =>
      overriding(recording, {
        lookupEvents: async function* (request, s) {
          for await (const page of recording.lookupEvents(request, s))
            yield page.filter((e: TrailEvent) => e.eventTime <= clock() - 45 * 60_000);
        },
      });
    for (const margin of [2, 0]) {
      const store = new MemoryHourCacheStore();
      let differed = false;
      for (const at of [RECORDED_AT - 2 * H - 5 * 60_000, RECORDED_AT - 2 * H + 5 * 60_000, RECORDED_AT - H + 10 * 60_000]) {
        const source = delivered(() => at);
        const got = await scan(withHourCache(source, { store, clock: () => at, marginHours: margin }), { now: at, clock: () => at });
        const want = await scan(source, { now: at, clock: () => at });
        if (margin > 0) assert.deepEqual(comparable(got), comparable(want));
        else differed ||= JSON.stringify(comparable(got)) !== JSON.stringify(comparable(want));
      }
      if (margin === 0) assert.ok(differed, 'an hour stored the moment it closed misses the calls delivered after');
    }
  });

  test('an ENI seen for the first time has all its hours fetched; the others only their trailing hours, apart', async () => {
    const store = new MemoryHourCacheStore();
    await cachedScan(recording, store, now, { functions: ['NightlyReport'] });
    const inner = countingSource(recording);
    const got = await cachedScan(inner, store, now + 10 * 60_000, { functions: ['NightlyReport', 'RDSQueryLogger'] });
    const flows = inner.requests.filter((r) => r.what === 'readFlowLog');
    assert.deepEqual(
      flows.map((r) => [r.keys, (r.end - r.start) / H]).sort((a, b) => a[1] - b[1]),
      [
        [1, 3],
        [2, 360],
      ],
    );
    const calls = inner.requests.filter((r) => r.what === 'lookupEvents');
    assert.deepEqual(
      calls.map((r) => [r.keys, (r.end - r.start) / H]).sort((a, b) => a[1] - b[1]),
      [
        [1, 3],
        [1, 360],
      ],
    );
    assert.deepEqual(comparable(got), comparable(await plainScan(now + 10 * 60_000, { functions: ['NightlyReport', 'RDSQueryLogger'] })));
  });

  test('a longer baseline fetches only the older hours it adds; a longer window refetches the hours that gained samples', async () => {
    const store = new MemoryHourCacheStore();
    await cachedScan(recording, store, now, { baselineDays: 7, detectHours: 6 });
    const inner = countingSource(recording);
    const got = await cachedScan(inner, store, now, { baselineDays: 10, detectHours: 24 });
    const end = Math.ceil(now / H) * H;
    const ranges = (what: string) =>
      inner.requests
        .filter((r) => r.what === what)
        .map((r) => [(end - r.start) / H, (end - r.end) / H])
        .sort((a, b) => b[0] - a[0]);
    // Hours are counted back from the window's end: [from, to).
    assert.deepEqual(ranges('getMetrics'), [
      [24 + 240, 6 + 168],
      [3, 0],
    ]);
    // Flows also refetch the hours that were baseline (kept no ACCEPT samples) and are now in the detection window.
    assert.deepEqual(ranges('readFlowLog'), [
      [24 + 240, 6 + 168],
      [24, 6],
      [3, 0],
    ]);
    assert.deepEqual(comparable(got), comparable(await plainScan(now, { baselineDays: 10, detectHours: 24 })));
  });

  test('a failed flow log read stores nothing of it; a failed metrics read stores no metric but the rest is saved', async () => {
    const store = new MemoryHourCacheStore();
    const failing = overriding(recording, {
      readFlowLog: async function* (flowLog: FlowLogConfig, request: FlowReadRequest, s: AbortSignal): AsyncIterable<FlowData> {
        yield* recording.readFlowLog(flowLog, request, s);
        throw new SourceError('throttled', 'Rate exceeded');
      },
      getMetrics: async () => {
        throw new SourceError('access-denied', 'denied', 'cloudwatch:GetMetricData');
      },
    });
    const report = await cachedScan(failing, store, now);
    assert.ok(report.warnings.some((w) => /Rate exceeded/.test(w)));
    const held = store.peek(ACCOUNT);
    assert.equal(store.saves, 1);
    assert.equal(hoursHeld(held, 'flows'), 0);
    assert.equal(hoursHeld(held, 'metrics') + hoursHeld(held, 'metricsNone'), 0);
    assert.ok(hoursHeld(held, 'calls') > 0, 'the calls fetched are kept');
  });

  test('a read cut short (a truncated stream) is handed on but not stored', async () => {
    const store = new MemoryHourCacheStore();
    const truncated = overriding(recording, {
      readFlowLog: async function* (flowLog: FlowLogConfig, request: FlowReadRequest, s: AbortSignal): AsyncIterable<FlowData> {
        for await (const data of recording.readFlowLog(flowLog, request, s)) {
          if (data.kind !== 'raw') yield data;
          else
            yield {
              ...data,
              chunks: (async function* () {
                for await (const chunk of data.chunks) {
                  yield chunk;
                  throw new Error('unexpected end of file');
                }
              })(),
            };
        }
      },
    });
    const report = await cachedScan(truncated, store, now);
    assert.ok(
      report.warnings.some((w) => /reading stopped early \(unexpected end of file\)/.test(w)),
      report.warnings.join('\n'),
    );
    assert.equal(hoursHeld(store.peek(ACCOUNT), 'flows'), 0);
  });

  test("the format an object's header names reaches the engine, which says what it says without the cache; one it cannot read is not stored", async () => {
    const named = (logFormat: string) =>
      overriding(recording, {
        readFlowLog: async function* (flowLog: FlowLogConfig, request: FlowReadRequest, s: AbortSignal): AsyncIterable<FlowData> {
          for await (const data of recording.readFlowLog(flowLog, request, s)) yield data.kind === 'raw' ? { ...data, logFormat } : data;
        },
      });
    const said = (report: ScanReport) => report.warnings.filter((w) => /header/.test(w));
    for (const [logFormat, expected, stored] of [
      ['${version} ${account-id} ${interface-id}', /header line is not a flow-log format/, false],
      [`${DEFAULT_LOG_FORMAT} \${flow-direction}`, /each object is read by its own header/, true],
    ] as const) {
      const store = new MemoryHourCacheStore();
      const cached = await cachedScan(named(logFormat), store, now);
      const plain = await scan(named(logFormat), { now, clock: () => now });
      assert.ok(
        said(cached).some((w) => expected.test(w)),
        cached.warnings.join('\n'),
      );
      assert.deepEqual(said(cached), said(plain));
      assert.equal(hoursHeld(store.peek(ACCOUNT), 'flows') > 0, stored, logFormat);
    }
  });

  test('a cancelled scan saves nothing, not even on dispose', async () => {
    const store = new MemoryHourCacheStore();
    const controller = new AbortController();
    const cancelling = overriding(recording, {
      lookupEvents: async function* (request, s) {
        yield* recording.lookupEvents(request, s);
        controller.abort(new Error('cancelled by the user'));
      },
    });
    const cached = withHourCache(cancelling, { store, clock: () => now });
    await assert.rejects(scan(cached, { now, clock: () => now, signal: controller.signal }), /cancelled by the user/);
    await cached.dispose();
    assert.equal(store.saves, 0);
    assert.equal(store.peek(ACCOUNT), undefined);
    // The next scan through the same decorator starts from nothing cancelled, and saves its own.
    await scan(cached, { now, clock: () => now });
    assert.equal(store.saves, 1);
  });

  test("a signal aborted after its scan is over takes nothing of the next scan's hours", async () => {
    const store = new MemoryHourCacheStore();
    const first = new AbortController();
    const later = now + 3 * H;
    let clock = now;
    const aborting = overriding(recording, {
      lookupEvents: async function* (request, s) {
        yield* recording.lookupEvents(request, s);
        if (clock === later) first.abort(new Error('the first progress bar closed'));
      },
    });
    const cached = withHourCache(aborting, { store, clock: () => clock });
    await scan(cached, { now, clock: () => now, signal: first.signal });
    clock = later;
    await scan(cached, { now: later, clock: () => later });
    assert.equal(store.saves, 2);
    // Flows are read before the calls, during which the first signal aborts.
    const hours = Object.keys(Object.values(store.peek(ACCOUNT)!.sections.flows)[0]).map(Number);
    assert.equal(Math.max(...hours) + H, Math.floor((later - 2 * H) / H) * H, "the second scan's closed hours were saved");
  });

  test('a request off the hour passes through as asked and stores nothing', async () => {
    const store = new MemoryHourCacheStore();
    const inner = countingSource(recording);
    const cached = withHourCache(inner, { store, clock: () => now });
    const request = { start: T0 - 5 * H + 1, end: T0, sessionNames: ['OrderApi'] };
    const got: TrailEvent[] = [];
    for await (const page of cached.lookupEvents(request, signal())) got.push(...page);
    const want: TrailEvent[] = [];
    for await (const page of recording.lookupEvents(request, signal())) want.push(...page);
    assert.deepEqual(got, want);
    assert.deepEqual(inner.requests, [{ what: 'lookupEvents', start: request.start, end: request.end, keys: 1 }]);
    await cached.flush();
    assert.equal(store.saves, 0);
    assert.deepEqual(cached.takeReads?.().cache, { location: 'memory', hoursFromCache: 0, hoursFetched: 5 });
  });

  test('a corrupt or foreign cache is said as a warning and rebuilt; the findings are those of an uncached scan', async () => {
    for (const broken of [{ version: 1, accountId: ACCOUNT.accountId }, { ...emptyCacheData(ACCOUNT), version: 2 }, '{"version":1,"sec']) {
      const store = new MemoryHourCacheStore('/tmp/cache', [{ account: ACCOUNT, data: broken }]);
      const report = await cachedScan(recording, store, now);
      assert.ok(
        report.warnings.some((w) => w.includes('the cache in /tmp/cache is unreadable')),
        report.warnings.join('\n'),
      );
      assert.deepEqual(comparable(report), comparable(await plainScan(now)));
      assert.ok(hoursHeld(store.peek(ACCOUNT), 'flows') > 0, 'rebuilt');
    }
  });

  test('a cache of another account is not used', async () => {
    const other = { ...emptyCacheData(ACCOUNT), accountId: '111111111111' };
    other.sections.flows = { 'fl-4fb09beda750fa108 eni-05aef9ebdd25b001a': { [T0]: [] } };
    const store = new MemoryHourCacheStore('mem', [{ account: ACCOUNT, data: other }]);
    const report = await cachedScan(recording, store, now);
    assert.ok(report.warnings.some((w) => /not one of this account/.test(w)));
    assert.deepEqual(comparable(report), comparable(await plainScan(now)));
  });

  test('reads: the wrapped source reads with what the cache answered; the optional methods exist as the wrapped ones do', async () => {
    const store = new MemoryHourCacheStore('/cache/dir');
    const withReads = overriding(recording, {
      takeReads: () => ({ requests: { 'logs:StartQuery': 2 }, bytesScanned: 5, bytesDownloaded: 0, estimates: ['about 5 B'] }),
    });
    const first = await cachedScan(withReads, store, now);
    assert.deepEqual(first.reads?.requests, { 'logs:StartQuery': 2 });
    assert.equal(first.reads?.cache?.location, '/cache/dir');
    assert.equal(first.reads?.cache?.hoursFromCache, 0);
    const second = await cachedScan(recording, store, now + 60_000);
    assert.deepEqual(second.reads?.requests, {});
    assert.ok(second.reads!.cache!.hoursFromCache > 0 && second.reads!.cache!.hoursFetched > 0);

    const wrapped = withHourCache(
      {
        label: 'minimal',
        account: async () => ({ ...ACCOUNT }),
        listFunctions: async () => [],
        listNetworkInterfaces: async () => [],
        describeFlowLogs: async () => [],
        readFlowLog: async function* () {},
        lookupEvents: async function* () {},
        getMetrics: async () => [],
      },
      { store },
    );
    assert.equal(wrapped.label, 'minimal');
    assert.equal('trailCalls' in wrapped, false);
    assert.equal('lookupManagementEvents' in wrapped, false);
    assert.equal('ipRanges' in wrapped, false);
  });
});

describe('withHourCache: flow logs in S3 and what a source says of its reads', () => {
  const flowLog: FlowLogConfig = {
    id: 'fl-s3',
    resourceId: 'vpc-1',
    destinationType: 's3',
    destination: 'arn:aws:s3:::bucket',
    logFormat: DEFAULT_LOG_FORMAT,
    status: 'ACTIVE',
    trafficType: 'ALL',
  };
  const eni = { id: 'eni-0a1b2c3d4e5f60718', addresses: ['10.0.1.5'] };
  const start = T0 - 6 * H;
  const end = T0;
  const record = (t: number) => `2 123456789012 ${eni.id} 10.0.1.5 52.94.0.1 40000 443 6 10 1000 ${t / 1000} ${t / 1000 + 30} ACCEPT OK\n`;

  /** A source that reads one S3 flow log: a record each hour, then a summary (with `unread` when asked). */
  function s3Source(unread: boolean, requests: Array<[number, number]>): TelemetrySource {
    return {
      label: 's3',
      account: async () => ({ ...ACCOUNT }),
      listFunctions: async () => [],
      listNetworkInterfaces: async () => [],
      describeFlowLogs: async () => [flowLog],
      readFlowLog: async function* (_f, request) {
        requests.push([request.start, request.end]);
        const lines: string[] = [];
        for (let h = request.start; h < request.end; h += H) lines.push(record(h + 60_000));
        yield {
          kind: 'raw',
          source: 's3://bucket/object',
          chunks: (async function* () {
            yield Buffer.from(lines.join(''));
          })(),
        };
        yield { kind: 'summary', read: 'from S3: 1 object', ...(unread ? { unread: 'budget reached' } : {}) };
      },
      lookupEvents: async function* () {},
      getMetrics: async () => [],
    };
  }

  async function read(source: TelemetrySource): Promise<FlowData[]> {
    const out: FlowData[] = [];
    const request = { start, end, enis: [eni], localParse: { sampleFrom: end - 2 * H, addressSpans: [] } };
    for await (const d of source.readFlowLog(flowLog, request, signal())) out.push(d);
    return out;
  }

  test('rows by hour with the parse statistics; the summary reaches the engine; answered from the cache alone, it says so', async () => {
    const store = new MemoryHourCacheStore('/c');
    const requests: Array<[number, number]> = [];
    const clock = end + 2 * H;
    const cached = withHourCache(s3Source(false, requests), { store, clock: () => clock });
    const first = await read(cached);
    await cached.flush();
    const rows = first.flatMap((d) => (d.kind === 'aggregated' ? d.rows : []));
    assert.equal(rows.length, 6);
    assert.deepEqual(
      rows.map((r) => r.hour),
      [0, 1, 2, 3, 4, 5].map((i) => start + i * H),
    );
    const parsed = first.find((d) => d.kind === 'aggregated' && d.parsed);
    assert.equal(parsed?.kind === 'aggregated' && parsed.parsed?.stats.records, 6);
    assert.deepEqual(first.at(-1), { kind: 'summary', read: 'from S3: 1 object' });

    const again = withHourCache(s3Source(false, requests), { store, clock: () => clock });
    const second = await read(again);
    assert.equal(requests.length, 1, 'every hour closed: nothing fetched');
    assert.deepEqual(
      second.flatMap((d) => (d.kind === 'aggregated' ? d.rows : [])),
      rows,
    );
    assert.deepEqual(second.at(-1), { kind: 'summary', read: '6 ENI-hour(s) from the cache of closed hours (/c)' });
  });

  test('a read that left objects unread stores nothing', async () => {
    const store = new MemoryHourCacheStore();
    const requests: Array<[number, number]> = [];
    const cached = withHourCache(s3Source(true, requests), { store, clock: () => end + 3 * H });
    const data = await read(cached);
    assert.deepEqual(data.at(-1), { kind: 'summary', read: 'from S3: 1 object', unread: 'budget reached' });
    await cached.flush();
    assert.equal(hoursHeld(store.peek(ACCOUNT), 'flows'), 0);
  });
});
