// The small interfaces through which the engine reads an account: a replay backend and the AWS backend implement them.
import type {
  EpochMs,
  FlowAggregate,
  FlowLogConfig,
  LambdaFunction,
  MetricName,
  MetricSeries,
  NetworkInterface,
  ScanReads,
  SourceErrorKind,
  TrailEvent,
} from './model';
import type { CompactFlowRows, FlowParseStats } from './flowlog/aggregate';

export type { SourceErrorKind } from './model';

export interface AccountInfo {
  accountId: string;
  region: string;
  /** The time the data describes, when it is a recording ("now" for the scan unless overridden). */
  recordedAt?: EpochMs;
}

export interface TimeRange {
  start: EpochMs;
  end: EpochMs;
}

/**
 * Raw flow-log text (one record a line), streamed: `source` names it in messages (a file, a log stream).
 * A chunk may be reused by the source once the next one is asked for: consume it before that.
 */
export interface RawFlowStream {
  kind: 'raw';
  source: string;
  chunks: AsyncIterable<Uint8Array>;
  /**
   * The LogFormat of these records when it is not the flow log's own (an S3 object names its fields in a header
   * line, which the source has taken off): `${version} ${account-id} ...`.
   */
  logFormat?: string;
  /** Why the data comes this way, when the source had to fall back (the faster query failed): shown in coverage. */
  note?: string;
}

/** Rows already aggregated by the service (CloudWatch Logs Insights), or by the source's own threads from raw records. */
export interface AggregatedFlows {
  kind: 'aggregated';
  source: string;
  rows: FlowAggregate[];
  note?: string;
  /** The LogFormat an S3 object's header line named, when the source parsed the object itself (as RawFlowStream's). */
  logFormat?: string;
  /**
   * When the source parsed raw records itself (as `localParse` asks): what the engine's parser would have counted
   * over those records, so that the scan is the same as if the raw stream had come. Its rows keep their samples.
   */
  parsed?: LocallyParsedFlows;
}

/** The parse statistics of rows a source aggregated from raw records, malformed examples numbered in their file's lines. */
export interface LocallyParsedFlows {
  stats: FlowParseStats;
  /** Records by interface id of interfaces not asked for, in the order first met. */
  otherInterfaces: Array<[string, number]>;
  /** The stream failed after these records (a truncated file): said as the engine says it of a raw stream. */
  stoppedEarly?: string;
  /**
   * Rows as the parsing threads send them (numbers in one array, each peer once), besides the item's `rows`: merged
   * without an object per row. Its ENI indexes are into `eniIds`.
   */
  compact?: { rows: CompactFlowRows; eniIds: readonly string[] };
}

/**
 * What a source read of a flow log delivered to S3, said after its objects: shown in coverage. A source that yields no
 * summary for an S3 flow log did not read it.
 */
export interface FlowReadSummary {
  kind: 'summary';
  /** How the records were read: `from S3: 42 objects, 3.1 MB`. */
  read: string;
  /** What was left unread on purpose (a byte budget reached), with what to do instead: the coverage is partial. */
  unread?: string;
}

export type FlowData = RawFlowStream | AggregatedFlows | FlowReadSummary;

export interface FlowReadRequest extends TimeRange {
  /** The Lambda ENIs whose records are wanted (a source may filter on them, or not), with their addresses. */
  enis: Array<{ id: string; addresses: string[] }>;
  /** What a source that parses raw records itself (on other threads) needs to aggregate them as the engine would. */
  localParse?: LocalParseRequest;
}

export interface LocalParseRequest {
  /** Records from here on keep a few raw lines as evidence (the detection window). */
  sampleFrom: EpochMs;
  /** Which ENI held an address when (formats without `interface-id`): `from` inclusive, `to` exclusive, may be infinite. */
  addressSpans: Array<{ address: string; eniId: string; from: EpochMs; to: EpochMs }>;
}

export interface TrailRequest extends TimeRange {
  /** CloudTrail `Username` values: the function names (assumed-role session names). */
  sessionNames: string[];
}

/** The calls of the functions' sessions already aggregated by a service that holds the trail (CloudTrail Lake, Athena). */
export interface TrailCallsRequest extends TrailRequest {
  /** No row spans this instant (the detect window's start): a row is all baseline or all detect. */
  splitAt: EpochMs;
}

/** One session's calls of one API with one error code in one hour. */
export interface TrailCallRow {
  sessionName: string;
  roleName?: string;
  principalArn?: string;
  eventSource: string;
  eventName: string;
  errorCode?: string;
  count: number;
  first: EpochMs;
  last: EpochMs;
  /** A few event ids (at most 5), newest first: the evidence. */
  eventIds: string[];
  /** A few error messages (at most 2), for denials. */
  errorMessages?: string[];
}

export interface TrailCalls {
  rows: TrailCallRow[];
  /** How they were read, for the report: `CloudTrail Lake eds-1: 1 query, 1.2 GB scanned`. */
  read: string;
}

/** Management events by name, made by any identity: ENI lifetimes and function changes. */
export interface ManagementEventsRequest extends TimeRange {
  /** CloudTrail event names: `CreateNetworkInterface`, `UpdateFunctionCode20150331v2`, ... */
  eventNames: readonly string[];
}

export interface MetricsRequest extends TimeRange {
  functionNames: string[];
  metrics: readonly MetricName[];
  periodSeconds: number;
}

export interface TelemetrySource {
  /** Shown to the user: `demo account`, `scenario ./dir`, `profile dev (eu-west-1)`. */
  readonly label: string;
  account(signal: AbortSignal): Promise<AccountInfo>;
  listFunctions(signal: AbortSignal): Promise<LambdaFunction[]>;
  listNetworkInterfaces(signal: AbortSignal): Promise<NetworkInterface[]>;
  describeFlowLogs(signal: AbortSignal): Promise<FlowLogConfig[]>;
  readFlowLog(flowLog: FlowLogConfig, request: FlowReadRequest, signal: AbortSignal): AsyncIterable<FlowData>;
  /** Events in pages; events of other users may be included (the engine filters). */
  lookupEvents(request: TrailRequest, signal: AbortSignal): AsyncIterable<TrailEvent[]>;
  /**
   * The same calls aggregated where the trail is kept (one query a scan), when the source is set up for it; undefined
   * when it is not (or its query failed, said as a notice): the engine then pages `lookupEvents`.
   */
  trailCalls?(request: TrailCallsRequest, signal: AbortSignal): Promise<TrailCalls | undefined>;
  /**
   * Events of these names by any identity, in pages, with `actor`, `requestParameters` and `responseElements` filled.
   * A source may return events outside the range (a recording returns all it has): the engine judges their times.
   */
  lookupManagementEvents?(request: ManagementEventsRequest, signal: AbortSignal): AsyncIterable<TrailEvent[]>;
  getMetrics(request: MetricsRequest, signal: AbortSignal): Promise<MetricSeries[]>;
  /** AWS's published ip-ranges document, when the source has one. */
  ipRanges?(signal: AbortSignal): Promise<IpRangesDocument | undefined>;
  /**
   * What the source worked around since it was last asked and the report should say (tags that could not be
   * read): taken, so each is reported once.
   */
  takeNotices?(): string[];
  /** What the source read from AWS since it was last asked (requests, bytes, estimates said, the cache's share): taken once per scan, into the report. */
  takeReads?(): ScanReads;
}

export interface IpRangesDocument {
  prefixes: Array<{ ip_prefix: string; region: string; service: string }>;
  ipv6_prefixes?: Array<{ ipv6_prefix: string; region: string; service: string }>;
}

const SOURCE_ERROR = Symbol.for('lambda-behavior.SourceError');

export class SourceError extends Error {
  /** A brand rather than `instanceof`: the live backend is a separate bundle with its own copy of this class. */
  readonly [SOURCE_ERROR] = true;

  static is(err: unknown): err is SourceError {
    return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[SOURCE_ERROR] === true;
  }

  constructor(
    readonly kind: SourceErrorKind,
    message: string,
    /** The IAM action that was missing, for `access-denied`. */
    readonly iamAction?: string,
    /**
     * `cause`: the error this one sorts (the SDK's), kept for a debugger and a debug log. Reports and warnings use
     * `message` only: a cause may quote a request, and nothing of a request belongs in a report.
     */
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SourceError';
  }
}

/** Bad input the user must fix (a scenario file missing or malformed): the CLI exits 2 with this message. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug?(message: string): void;
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined };
