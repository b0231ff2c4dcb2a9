// A flow log read through the cache: each ENI's closed hours as cached rows, its missing hours fetched (ENIs that lack the same hours together) and aggregated by hour as the engine would.
import { LogFormatError, parseLogFormat, type FlowLogFormat } from '../flowlog/format';
import { emptyParseStats, type FlowParseStats } from '../flowlog/aggregate';
import { EniHistory, type EniHistoryJson } from '../inventory/history';
import type { EpochMs, FlowAggregate, FlowLogConfig } from '../model';
import type { FlowData, FlowReadRequest, FlowReadSummary, TelemetrySource, TimeRange } from '../ports';
import { parseRawStream, UnknownEniCounter } from '../scan/flow-logs';
import { HOUR_MS } from '../time';
import type { HourBook } from './book';
import { hoursIn } from './hours';

const flowKey = (flowLog: FlowLogConfig, eniId: string) => `${flowLog.id} ${eniId}`;

/** The request start, end and detection window's start are on the hour: the engine's always are (others pass through). */
export function flowRequestCacheable(request: FlowReadRequest): boolean {
  const sampleFrom = request.localParse?.sampleFrom ?? request.end;
  return request.start % HOUR_MS === 0 && request.end % HOUR_MS === 0 && sampleFrom % HOUR_MS === 0;
}

export async function* readFlowLogThroughCache(
  book: HourBook,
  inner: TelemetrySource,
  flowLog: FlowLogConfig,
  request: FlowReadRequest,
  signal: AbortSignal,
  cacheName: string,
): AsyncIterable<FlowData> {
  // The engine keeps raw lines of ACCEPT records only from the detection window on: a cached hour that was in the baseline
  // when stored has none, so once inside the window it is fetched again (a longer window), never shown without them.
  const sampleFrom = request.localParse?.sampleFrom ?? request.end;
  book.noteInUse('flows', request.start);
  const plan = book.plan(
    'flows',
    request.enis,
    (e) => flowKey(flowLog, e.id),
    request,
    (key, hour) => book.get('flows', key, hour) !== undefined && (hour < sampleFrom || book.get('flowsSampled', key, hour) !== undefined),
  );
  book.tally(plan);

  const cachedRows: FlowAggregate[] = [];
  let cachedHours = 0;
  for (const [eni, hours] of plan.cached) {
    cachedHours += hours.length;
    for (const hour of hours) {
      for (const row of book.get('flows', flowKey(flowLog, eni.id), hour) as FlowAggregate[]) {
        if (hour < sampleFrom && row.action === 'ACCEPT' && row.samples) {
          const bare = { ...row };
          delete bare.samples;
          cachedRows.push(bare);
        } else cachedRows.push(row);
      }
    }
  }

  const fetchedRows: FlowAggregate[] = [];
  const summaries: Array<FlowReadSummary | undefined> = [];
  for (const group of plan.groups) {
    for (const range of group.ranges) {
      const fetch = new FlowFetch(flowLog, { ...request, ...range, enis: group.keys }, sampleFrom);
      yield* fetch.read(inner, signal);
      fetchedRows.push(...fetch.rows);
      summaries.push(fetch.summary);
      // A fetch that failed threw; one cut short, left unread or cancelled keeps its rows for this scan only.
      const storable = !fetch.partial && !signal.aborted && (flowLog.destinationType !== 's3' || (fetch.summary && !fetch.summary.unread));
      if (!storable) continue;
      const byKeyHour = new Map<string, FlowAggregate[]>();
      for (const row of fetch.rows) {
        const k = `${row.eniId} ${row.hour}`;
        const list = byKeyHour.get(k);
        if (list) list.push(row);
        else byKeyHour.set(k, [row]);
      }
      for (const eni of group.keys) {
        for (const hour of hoursIn(range)) {
          book.put('flows', flowKey(flowLog, eni.id), hour, byKeyHour.get(`${eni.id} ${hour}`) ?? []);
          if (hour >= sampleFrom) book.put('flowsSampled', flowKey(flowLog, eni.id), hour, []);
        }
      }
    }
  }
  const rows = inHourOrder([...cachedRows, ...fetchedRows]);
  if (rows.length) yield { kind: 'aggregated', source: fetchedRows.length ? `flow log ${flowLog.id} and ${cacheName}` : cacheName, rows };
  const summary = combinedSummary(flowLog, summaries, cachedHours, cacheName);
  if (summary) yield summary;
}

/**
 * Rows oldest hour first, by their first record within an hour (a stable sort: a fetch's own order otherwise). The engine
 * keeps the first raw lines it is handed for a peer's evidence; a log read from its start hands them in about this order,
 * so cached and fetched hours interleave as one read would have. Not exactly, in general: a source that streams ENI by
 * ENI, or two rows whose first records share a second, can order them otherwise, and a peer's evidence may then show
 * other lines of the same traffic. Counts, findings and their subjects do not depend on it.
 */
function inHourOrder(rows: FlowAggregate[]): FlowAggregate[] {
  return rows.sort((a, b) => a.hour - b.hour || a.first - b.first);
}

/**
 * What the engine is told was read: the fetches' own summaries with the cache's share. An S3 flow log answered from the
 * cache alone was read (from the cache); one whose source said nothing of a fetch was not read by it, as without a cache.
 */
function combinedSummary(
  flowLog: FlowLogConfig,
  summaries: Array<FlowReadSummary | undefined>,
  cachedHours: number,
  cacheName: string,
): FlowReadSummary | undefined {
  const said = summaries.filter((s): s is FlowReadSummary => s !== undefined);
  if (said.length < summaries.length && flowLog.destinationType === 's3') return undefined;
  if (!said.length && !(flowLog.destinationType === 's3' && cachedHours > 0)) return undefined;
  const reads = said.map((s) => s.read);
  if (cachedHours) reads.push(`${cachedHours} ENI-hour(s) from ${cacheName}`);
  const unread = said.find((s) => s.unread)?.unread;
  return { kind: 'summary', read: reads.join('; '), ...(unread ? { unread } : {}) };
}

/** One request to the inner source for some ENIs over one range, aggregated into hourly rows with the engine's aggregator. */
class FlowFetch {
  rows: FlowAggregate[] = [];
  summary: FlowReadSummary | undefined;
  /** A stream stopped early, or a stream's format could not be read: its hours are not stored. */
  partial = false;
  private readonly formats = new Map<string, FlowLogFormat>();

  constructor(
    private readonly flowLog: FlowLogConfig,
    private readonly request: FlowReadRequest & TimeRange,
    private readonly sampleFrom: EpochMs,
  ) {}

  async *read(inner: TelemetrySource, signal: AbortSignal): AsyncIterable<FlowData> {
    const { request } = this;
    const spans = request.localParse?.addressSpans;
    // As the flow threads do: only `at` is asked of the history, from the spans the engine sent.
    const history = spans
      ? EniHistory.fromJSON({
          formatVersion: 1,
          spans: spans.map((s) => ({ ...s, eni: undefined as never, functions: [] })),
        } as EniHistoryJson)
      : undefined;
    const agg = new UnknownEniCounter(request.enis, request, this.sampleFrom, history);
    const covered = request.enis.map((e) => e.id);
    for await (const data of inner.readFlowLog(this.flowLog, request, signal)) {
      if (data.kind === 'summary') {
        this.summary = data;
        continue;
      }
      // The note (how the source fell back) reaches the engine as the source said it.
      if (data.note) yield { kind: 'aggregated', source: data.source, rows: [], note: data.note };
      // What an object's header line named reaches the engine too, which judges it and says so (no format, unlike the
      // flow log's LogFormat) as it does without the cache. A stream whose format cannot be read is not stored.
      if (data.logFormat !== undefined) {
        yield { kind: 'aggregated', source: data.source, rows: [], logFormat: data.logFormat };
        if (!this.formatOf(data.logFormat)) {
          this.partial = true;
          continue;
        }
      }
      if (data.kind === 'aggregated') {
        signal.throwIfAborted();
        if (data.parsed) {
          agg.addParsed(data.rows, { ...data.parsed, stoppedEarly: undefined }, covered);
          if (data.parsed.stoppedEarly) yield this.stoppedEarly(data.source, data.parsed.stoppedEarly);
        } else agg.addAggregates(data.rows, covered);
        continue;
      }
      const format = this.formatOf(data.logFormat);
      if (!format) continue;
      const stopped = await parseRawStream(agg, format, data, covered, signal);
      if (stopped) yield this.stoppedEarly(data.source, stopped);
    }
    this.rows = agg.aggregates();
    const stats: FlowParseStats = { ...agg.stats, malformedExamples: [...agg.stats.malformedExamples] };
    // The rows follow with the other hours' (in hour order): the statistics now, which count them as the engine would.
    yield {
      kind: 'aggregated',
      source: `flow log ${this.flowLog.id}`,
      rows: [],
      parsed: { stats, otherInterfaces: [...agg.otherInterfaces] },
    };
  }

  /** A stream cut short: the engine says so of that stream (an item with nothing else), and this fetch is not stored. */
  private stoppedEarly(source: string, message: string): FlowData {
    this.partial = true;
    return { kind: 'aggregated', source, rows: [], parsed: { stats: emptyParseStats(), otherInterfaces: [], stoppedEarly: message } };
  }

  private formatOf(text: string | undefined): FlowLogFormat | undefined {
    const key = text ?? this.flowLog.logFormat ?? '';
    let format = this.formats.get(key);
    if (format) return format;
    try {
      format = parseLogFormat(text ?? this.flowLog.logFormat);
    } catch (err) {
      if (err instanceof LogFormatError) return undefined;
      throw err;
    }
    this.formats.set(key, format);
    return format;
  }
}
