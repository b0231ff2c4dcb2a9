// The flow-log stage: each Lambda ENI assigned to one flow log, each flow log read once, its records aggregated per ENI and peer.
import { FlowAggregator, type AggregatorEni, type FlowParseStats } from '../flowlog/aggregate';
import type { EniHistory } from '../inventory/history';
import { LogFormatError, parseLogFormat, type FlowLogFormat } from '../flowlog/format';
import type { EpochMs, FlowAggregate, FlowLogConfig, NetworkInterface } from '../model';
import { SourceError, type FlowReadSummary, type LocallyParsedFlows, type RawFlowStream } from '../ports';
import type { Windows } from '../scan';
import { flowLogCall, type SourceFailure } from './attempts';
import type { Inventory } from './inventory';
import type { ScanRun } from './run';

export interface FlowLogAssignment {
  byFlowLog: Map<FlowLogConfig, NetworkInterface[]>;
  byEni: Map<string, FlowLogConfig>;
}

/** Why a flow log was not (fully) read: in words for coverage, with the source's failure when that was the reason. */
export interface FlowLogProblem {
  text: string;
  failure?: SourceFailure;
}

export interface FlowLogReading {
  assignment: FlowLogAssignment;
  /** Baseline and detection traffic per ENI, peer and port. */
  rows: FlowAggregate[];
  stats: FlowParseStats;
  /** By flow log id. */
  problems: Map<string, FlowLogProblem>;
  /** How a flow log was read when the source had to fall back (by flow log id): its coverage says so. */
  notes: Map<string, string>;
  /** Records on ENIs that neither EC2 lists nor the ENI history knows, by ENI id (raw records only: Logs Insights is asked for known ENIs). */
  unknownEnis: Map<string, number>;
}

/** How many unknown ENIs a warning names. */
const UNKNOWN_ENIS_NAMED = 5;

export async function readFlowLogs(run: ScanRun, inventory: Inventory, windows: Windows): Promise<FlowLogReading> {
  const enis = inventory.scannedEnis;
  const assignment = assignFlowLogs(
    enis.map((l) => l.eni),
    inventory.flowLogs,
  );
  const aggregator = new UnknownEniCounter(
    enis.map((l) => ({ id: l.eni.id, addresses: [...l.eni.privateIps, ...l.eni.ipv6Ips] })),
    { start: windows.baselineStart, end: windows.detectEnd },
    windows.detectStart,
    inventory.history,
  );
  const reader = new FlowLogReader(run, aggregator, windows, inventory.history);
  for (const [flowLog, covered] of assignment.byFlowLog) await reader.read(flowLog, covered);
  const stats = aggregator.stats;
  if (stats.malformed > 0) {
    const examples = stats.malformedExamples.map((m) => `${m.source} line ${m.line}: ${m.reason}`).join('; ');
    run.attempts.warn(`${stats.malformed} malformed flow record(s) skipped (${examples})`);
  }
  const known = new Set([
    ...inventory.enis.map((e) => e.id),
    ...enis.map((l) => l.eni.id),
    ...inventory.history.allSpans().map((s) => s.eniId),
  ]);
  const unknownEnis = new Map([...aggregator.otherInterfaces].filter(([id]) => !known.has(id)).sort((a, b) => b[1] - a[1]));
  if (unknownEnis.size) run.attempts.warn(unknownEnisWarning(unknownEnis));
  return { assignment, rows: aggregator.aggregates(), stats, problems: reader.problems, notes: reader.notes, unknownEnis };
}

function unknownEnisWarning(unknown: ReadonlyMap<string, number>): string {
  const records = [...unknown.values()].reduce((a, b) => a + b, 0);
  const named = [...unknown]
    .slice(0, UNKNOWN_ENIS_NAMED)
    .map(([id, n]) => `${id} (${n})`)
    .join(', ');
  const more = unknown.size > UNKNOWN_ENIS_NAMED ? ` and ${unknown.size - UNKNOWN_ENIS_NAMED} more` : '';
  return `${records} flow record(s) on ${unknown.size} ENI(s) that neither EC2 nor CloudTrail's ENI history knows were not attributed to any function: ${named}${more}`;
}

/**
 * The aggregator, also counting the records of every interface it was not asked for, by interface id: those of ENIs
 * that no longer exist and that nothing remembers are traffic no function was credited with, which the report must say.
 */
export class UnknownEniCounter extends FlowAggregator {
  private readonly counts = new Map<string, number>();

  constructor(enis: readonly AggregatorEni[], range: { start: EpochMs; end: EpochMs }, sampleFrom: EpochMs, history?: EniHistory) {
    super(enis, range, sampleFrom, history);
  }

  /** Records by interface id, for interfaces that are not among the wanted ENIs (any time: counted before the range check). */
  get otherInterfaces(): ReadonlyMap<string, number> {
    this.flush();
    return this.counts;
  }

  /** The other interfaces' records so far, in the order first met; then none (a parsing thread's next piece). */
  drainOtherInterfaces(): Array<[string, number]> {
    this.flush();
    const counts = [...this.counts];
    this.counts.clear();
    return counts;
  }

  /**
   * Rows a source aggregated from raw records on its own threads, with what its parser counted: the same totals, samples,
   * malformed examples and unknown interfaces as if this aggregator had parsed those records.
   */
  addParsed(rows: readonly FlowAggregate[], parsed: LocallyParsedFlows, coveredEniIds?: readonly string[]): void {
    // addAggregates counts each row's flows as records and attributed: the parser's attributed records, exactly.
    this.addAggregates(rows, coveredEniIds);
    if (parsed.compact) this.addCompact(parsed.compact.rows, parsed.compact.eniIds, coveredEniIds);
    const s = this.stats;
    const p = parsed.stats;
    s.records += p.records - p.attributed;
    s.noData += p.noData;
    s.skipData += p.skipData;
    s.otherInterfaces += p.otherInterfaces;
    s.outOfRange += p.outOfRange;
    for (const m of p.malformedExamples) this.malformed(m.source, m.line, m.reason);
    s.malformed += p.malformed - p.malformedExamples.length;
    this.flush();
    for (const [id, n] of parsed.otherInterfaces) this.counts.set(id, (this.counts.get(id) ?? 0) + n);
  }

  /** The kernel counts the records of interfaces it was not asked for: taken into `counts`. */
  private flush(): void {
    for (const [id, n] of this.kernel.drainOtherInterfaces()) this.counts.set(id, (this.counts.get(id) ?? 0) + n);
  }
}

/** Each ENI is read from one flow log only, the most specific (ENI, then subnet, then VPC), so no record counts twice. */
export function assignFlowLogs(enis: readonly NetworkInterface[], flowLogs: readonly FlowLogConfig[]): FlowLogAssignment {
  const active = flowLogs.filter((f) => !f.status || f.status === 'ACTIVE');
  const byFlowLog = new Map<FlowLogConfig, NetworkInterface[]>();
  const byEni = new Map<string, FlowLogConfig>();
  for (const eni of enis) {
    const rank = (f: FlowLogConfig) =>
      (f.resourceId === eni.id ? 30 : f.resourceId === eni.subnetId ? 20 : f.resourceId === eni.vpcId ? 10 : 0) +
      (f.destinationType === 'cloud-watch-logs' ? 2 : 0) +
      (f.trafficType === 'ALL' || !f.trafficType ? 1 : 0);
    const best = active.filter((f) => rank(f) >= 10).sort((a, b) => rank(b) - rank(a))[0];
    if (!best) continue;
    byEni.set(eni.id, best);
    const list = byFlowLog.get(best) ?? [];
    list.push(eni);
    byFlowLog.set(best, list);
  }
  return { byFlowLog, byEni };
}

/** Reads flow logs into one aggregator, noting per flow log what could not be read and how it was read. */
class FlowLogReader {
  readonly problems = new Map<string, FlowLogProblem>();
  readonly notes = new Map<string, string>();

  constructor(
    private readonly run: ScanRun,
    private readonly aggregator: UnknownEniCounter,
    private readonly windows: Windows,
    private readonly history: EniHistory,
  ) {}

  async read(flowLog: FlowLogConfig, covered: NetworkInterface[]): Promise<void> {
    const problem = await this.readOne(flowLog, covered);
    if (problem) this.problems.set(flowLog.id, problem);
  }

  private async readOne(flowLog: FlowLogConfig, covered: NetworkInterface[]): Promise<FlowLogProblem | undefined> {
    const { source, signal, attempts } = this.run;
    const s3 = flowLog.destinationType === 's3';
    if (!s3 && flowLog.destinationType !== 'cloud-watch-logs')
      return { text: `flow log ${flowLog.id} goes to ${flowLog.destinationType}: not read` };
    let format;
    try {
      format = parseLogFormat(flowLog.logFormat);
    } catch (err) {
      if (err instanceof LogFormatError) return { text: `flow log ${flowLog.id}: ${err.message}` };
      throw err;
    }
    if (format.unknownFields.length)
      attempts.warn(`flow log ${flowLog.id}: unknown LogFormat field(s) ${format.unknownFields.join(', ')} ignored`);
    const request = {
      start: this.windows.baselineStart,
      end: this.windows.detectEnd,
      enis: covered.map((e) => ({ id: e.id, addresses: [...e.privateIps, ...e.ipv6Ips] })),
      localParse: {
        sampleFrom: this.windows.detectStart,
        addressSpans: this.history.allSpans().map((h) => ({ address: h.address, eniId: h.eniId, from: h.from, to: h.to })),
      },
    };
    const coveredIds = request.enis.map((e) => e.id);
    const call = flowLogCall(flowLog.id);
    let summary: FlowReadSummary | undefined;
    const formats = new ObjectFormats(flowLog, format, (warning) => attempts.warn(warning));
    const succeeded = await attempts.attempt(call, async () => {
      for await (const data of source.readFlowLog(flowLog, request, signal)) {
        if (data.kind === 'summary') {
          summary = data;
          continue;
        }
        if (data.note && !this.notes.has(flowLog.id)) {
          this.notes.set(flowLog.id, data.note);
          attempts.warn(`flow log ${flowLog.id}: ${data.note}`);
        }
        if (data.kind === 'aggregated') {
          signal.throwIfAborted();
          // An object parsed by the source by its header line: the format is judged and said here, as of a raw stream.
          if (data.logFormat !== undefined && !formats.of(data)) continue;
          if (data.parsed) {
            this.aggregator.addParsed(data.rows, data.parsed, coveredIds);
            if (data.parsed.stoppedEarly) attempts.warn(stoppedEarly(data.source, data.parsed.stoppedEarly));
          } else this.aggregator.addAggregates(data.rows, coveredIds);
          continue;
        }
        const objectFormat = formats.of(data);
        if (!objectFormat) continue;
        const stopped = await parseRawStream(this.aggregator, objectFormat, data, coveredIds, signal);
        if (stopped) attempts.warn(stoppedEarly(data.source, stopped));
      }
      return true;
    });
    if (succeeded) {
      // What the source says it read (S3 objects and bytes, the bytes an Athena query scanned) goes into the coverage.
      if (summary && !this.notes.has(flowLog.id)) this.notes.set(flowLog.id, summary.read);
      if (!s3) return summary?.unread ? { text: `flow log ${flowLog.id}: ${summary.unread}` } : undefined;
      // A source that reads S3 says what it read; one that does not (a recording without S3 objects) read nothing.
      if (!summary) return { text: `flow logs go to S3 bucket ${bucketOf(flowLog.destination)}: not read by ${source.label}` };
      if (!summary.unread) return undefined;
      attempts.warn(`flow log ${flowLog.id}: ${summary.unread}`);
      return { text: `flow log ${flowLog.id}: ${summary.unread}` };
    }
    const failure = attempts.failureOf(call);
    return { text: `flow log ${flowLog.id}: ${failure?.text}`, ...(failure ? { failure } : {}) };
  }
}

/**
 * Parses a raw stream into `aggregator`. Its chunks are always iterated, even once cancelled: leaving the loop closes the
 * source's stream, where a stream never iterated could fail later with no one listening. Returns why reading stopped
 * early (a truncated or corrupt file: the records before that point are kept), or undefined when it was read whole.
 */
export async function parseRawStream(
  aggregator: FlowAggregator,
  format: FlowLogFormat,
  data: RawFlowStream,
  coveredIds: readonly string[],
  signal: AbortSignal,
): Promise<string | undefined> {
  const stream = aggregator.stream(format, data.source, coveredIds);
  let stopped: string | undefined;
  try {
    for await (const chunk of data.chunks) {
      signal.throwIfAborted();
      stream.push(chunk);
    }
  } catch (err) {
    if (signal.aborted || SourceError.is(err)) throw err;
    stopped = (err as Error).message;
  }
  stream.end();
  return stopped;
}

/**
 * The format of each raw stream: the flow log's own, or the one a stream names (an S3 object's header line), parsed once
 * per distinct text; a named format that disagrees with the flow log's LogFormat is said once per flow log.
 */
class ObjectFormats {
  private readonly parsed = new Map<string, FlowLogFormat | undefined>();
  private disagreementSaid = false;

  constructor(
    private readonly flowLog: FlowLogConfig,
    private readonly own: FlowLogFormat,
    private readonly warn: (warning: string) => void,
  ) {}

  /** Undefined when the stream's own format cannot be read (said in a warning): its records are skipped. */
  of(data: { source: string; logFormat?: string }): FlowLogFormat | undefined {
    if (data.logFormat === undefined || data.logFormat === this.own.text) return this.own;
    if (this.parsed.has(data.logFormat)) return this.parsed.get(data.logFormat);
    let format: FlowLogFormat | undefined;
    try {
      format = parseLogFormat(data.logFormat);
    } catch (err) {
      if (!(err instanceof LogFormatError)) throw err;
      this.warn(`${data.source}: its header line is not a flow-log format (${err.message}): its records were skipped`);
    }
    this.parsed.set(data.logFormat, format);
    if (format && !this.disagreementSaid && format.names.join(' ') !== this.own.names.join(' ')) {
      this.disagreementSaid = true;
      this.warn(
        `flow log ${this.flowLog.id}: its objects name their fields (${format.names.join(' ')}) unlike its LogFormat (${this.own.names.join(' ')}): each object is read by its own header`,
      );
    }
    return format;
  }
}

function stoppedEarly(source: string, message: string): string {
  return `${source}: reading stopped early (${message}); records before that point are used`;
}

function bucketOf(destination: string | undefined): string {
  return destination?.replace(/^arn:aws[a-z-]*:s3:::/, '').split('/')[0] || '(unknown)';
}
