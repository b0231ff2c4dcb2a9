// The engine's own vocabulary: what the sources deliver and what a scan reports (report format v1).

/** Milliseconds since the epoch. Every time inside the engine is one of these; reports use ISO strings. */
export type EpochMs = number;

export interface LambdaFunction {
  name: string;
  arn: string;
  role: string;
  runtime?: string;
  handler?: string;
  codeUri?: string;
  lastModified?: string;
  vpc?: VpcConfig;
  tags: Record<string, string>;
}

export interface VpcConfig {
  vpcId?: string;
  subnetIds: string[];
  securityGroupIds: string[];
}

/** One elastic network interface as EC2 describes it (only the fields the engine reads). */
export interface NetworkInterface {
  id: string;
  /** EC2 `InterfaceType`: `lambda`, `interface`, `nat_gateway`, `vpc_endpoint`, ... */
  type: string;
  description: string;
  subnetId: string;
  vpcId: string;
  securityGroupIds: string[];
  privateIps: string[];
  ipv6Ips: string[];
  publicIp?: string;
  requesterId?: string;
  instanceId?: string;
  status?: string;
  /** When the ENI was attached (or created): the start of its validity in the ENI history. */
  since?: EpochMs;
}

export type FlowLogDestination = 'cloud-watch-logs' | 's3' | 'kinesis-data-firehose' | string;

export interface FlowLogConfig {
  id: string;
  /** The `LogFormat` string, e.g. `${version} ${account-id} ${interface-id} ...`. */
  logFormat: string;
  destinationType: FlowLogDestination;
  logGroupName?: string;
  destination?: string;
  resourceId: string;
  trafficType?: string;
  maxAggregationIntervalSeconds?: number;
  status?: string;
  /** S3 delivery (`DestinationOptions`): `plain-text` or `parquet`, Hive-compatible prefixes, per-hour partitions. */
  destinationOptions?: { fileFormat?: string; hiveCompatiblePartitions?: boolean; perHourPartition?: boolean };
}

/** A CloudTrail event reduced to what attribution and findings need. */
export interface TrailEvent {
  eventId: string;
  eventTime: EpochMs;
  eventSource: string;
  eventName: string;
  /** The assumed-role session name: the function name for calls made by function code. */
  sessionName?: string;
  roleName?: string;
  principalArn?: string;
  errorCode?: string;
  errorMessage?: string;
  userAgent?: string;
  sourceIp?: string;
  /** The caller as CloudTrail names it (`userIdentity.arn`, else its type): who deployed, for change events. */
  actor?: string;
  /** Kept only for the management events the engine reads them from: ENI lifetimes and function changes. */
  requestParameters?: Record<string, unknown>;
  responseElements?: Record<string, unknown>;
}

export type MetricName = 'Invocations' | 'Errors' | 'Throttles' | 'Duration' | 'ConcurrentExecutions';
export const METRIC_NAMES: readonly MetricName[] = ['Invocations', 'Errors', 'Throttles', 'Duration', 'ConcurrentExecutions'];
/** The statistic each metric is read with: totals for counts, the mean duration, the peak concurrency. */
export const METRIC_STAT: Readonly<Record<MetricName, string>> = {
  Invocations: 'Sum',
  Errors: 'Sum',
  Throttles: 'Sum',
  Duration: 'Average',
  ConcurrentExecutions: 'Maximum',
};

export interface MetricSeries {
  functionName: string;
  metric: MetricName;
  stat: string;
  periodSeconds: number;
  /** Data points in any order; CloudWatch leaves out periods without data. */
  points: Array<{ t: EpochMs; v: number }>;
}

/**
 * The unit both flow-log paths produce: raw records streamed and aggregated here, or rows that
 * CloudWatch Logs Insights aggregated server-side. One row per ENI × remote address × remote
 * (service) port × protocol × action × hour.
 */
export interface FlowAggregate {
  eniId: string;
  remoteAddress: string;
  remotePort: number;
  /** IANA protocol number (6 tcp, 17 udp, 1 icmp, 58 icmpv6). */
  protocol: number;
  action: 'ACCEPT' | 'REJECT';
  /** Start of the hour (epoch ms) that the records' `start` fell in. */
  hour: EpochMs;
  flows: number;
  packets: number;
  bytes: number;
  first: EpochMs;
  last: EpochMs;
  /** A few raw records kept as evidence (only the raw path fills it). */
  samples?: string[];
  /**
   * The AWS service the remote address belongs to, as the records' `pkt-dst-aws-service` (egress) or
   * `pkt-src-aws-service` (ingress) named it (`S3`, `DYNAMODB`, `EC2`, ...); absent when the format lacks the field or it was `-`.
   */
  remoteService?: string;
}

// ---------------------------------------------------------------- the report (format v1)

export type Severity = 'low' | 'medium' | 'high';
export const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3 };

export type FindingKind =
  | 'new-peer'
  | 'rejected-traffic'
  | 'traffic-spike'
  | 'new-api-call'
  | 'access-denied'
  | 'invocation-spike'
  | 'error-spike'
  | 'throttle-spike';

export type Attribution = 'exact' | 'shared' | 'inferred';

export interface Finding {
  /** Stable across scans: function, kind and subject. */
  id: string;
  kind: FindingKind;
  subject: string;
  severity: Severity;
  attribution: Attribution;
  title: string;
  detail: string;
  /** What the developer can do about it. */
  recommendation?: string;
  evidence: FindingEvidence;
}

export interface FindingEvidence {
  firstSeen?: string;
  lastSeen?: string;
  candidates?: string[];
  /** Raw flow records or CloudTrail event ids. */
  samples?: string[];
  eventIds?: string[];
  /** The code or configuration change the behaviour started after (within 24 h), when there was one. */
  deploy?: DeployEvidence;
  /** True when no change to the function was found in the 24 h before the behaviour started. */
  noChangeBefore?: boolean;
  [key: string]: unknown;
}

/** A change to the function: CloudTrail's event (or `LastModified` from ListFunctions when CloudTrail has none). */
export interface DeployEvidence {
  /** `UpdateFunctionCode20150331v2`, `UpdateFunctionConfiguration20150331v2`, `PublishVersion20150331`, ..., or `LastModified`. */
  eventName: string;
  time: string;
  /** Who made it (the caller's ARN or session), when known. */
  by?: string;
  eventId?: string;
  /** How long after the change the behaviour started, in minutes. */
  minutesBefore: number;
}

export interface ReportWindow {
  baselineStart: string;
  baselineEnd: string;
  detectStart: string;
  detectEnd: string;
}

export interface EniReport {
  id: string;
  privateIp: string;
  subnetId?: string;
  securityGroupIds?: string[];
  /** Other functions that use this ENI (same subnet and exactly the same security groups). */
  sharedWith: string[];
  /** When Lambda created and deleted it (CloudTrail), for an ENI that EC2's inventory no longer lists. */
  created?: string;
  deleted?: string;
  /**
   * How the ENI was tied to the function: EC2's inventory now (subnet + security groups), the function's configuration
   * history in CloudTrail while the ENI existed, or the execution role that created it (and the function its description names).
   */
  attributedBy?: 'inventory' | 'configuration-history' | 'creating-role';
}

export interface TrafficCounts {
  flows: number;
  bytes: number;
  packets: number;
  rejected: number;
  firstSeen?: string;
  lastSeen?: string;
}

export interface PeerReport extends TrafficCounts {
  /** The remote address; for a service peer (`service` set), the one it exchanged most flows with. */
  address: string;
  port: number;
  protocol: string;
  /**
   * What the address is: `RDS (RDSNetworkInterface)`, `AWS S3 (us-east-1)`, `external`, or
   * `public address (AWS ip-ranges unavailable)` when no ip-ranges document could tell a public address from an AWS service.
   */
  resource: string;
  inBaseline: boolean;
  /** Counts above are the detection window's; these are the baseline's. */
  baseline?: TrafficCounts;
  attribution?: Attribution;
  candidates?: string[];
  /** For an AWS service behind rotating addresses (subject `aws:<SERVICE>:<region>:<port>/<protocol>`): the service. */
  service?: { name: string; region: string };
  /** For a service peer: how many distinct addresses were seen in each window, and a few of them (the busiest first). */
  addresses?: { baseline: number; detect: number; samples: string[] };
}

export interface ApiCallReport {
  eventSource: string;
  eventName: string;
  /** Calls in the detection window. */
  count: number;
  errors: number;
  inBaseline: boolean;
  /** `lambda-service` for calls Lambda itself made with the function's role (`awslambda_*` sessions). */
  caller?: 'function' | 'lambda-service';
  denied?: number;
  baseline?: { count: number; errors: number; firstSeen?: string; lastSeen?: string };
  firstSeen?: string;
  lastSeen?: string;
  sampleEventIds?: string[];
}

export interface MetricsSummary {
  periodSeconds: number;
  /** Hour starts (ISO) of the detection window. */
  hours: string[];
  invocations: number[];
  errors: number[];
  throttles: number[];
  /** Expected invocations for each of those hours from the baseline at the same time of day, with a band. */
  expectedInvocations: Array<{ mean: number; low: number; high: number }>;
  totals: { detect: Record<string, number>; baselineDailyMean: Record<string, number> };
}

/** What each source covered, in words for people (format v1's three strings; `coverageStatus` is the same as data). */
export interface Coverage {
  network: string;
  cloudtrail: string;
  metrics: string;
}

export type CoverageSource = keyof Coverage;
export const COVERAGE_SOURCES: readonly CoverageSource[] = ['network', 'cloudtrail', 'metrics'];

/** How a source failed, so that the engine can mark coverage and go on with the rest. */
export type SourceErrorKind = 'access-denied' | 'expired-credentials' | 'throttled' | 'network' | 'unsupported' | 'malformed' | 'other';

/**
 * - `complete`: the source answered for the whole window.
 * - `not-applicable`: nothing to read (a function outside a VPC has no flow logs); as good as complete.
 * - `no-data`: the source answered, with nothing for this function (no metrics: never invoked).
 * - `partial`: some of it was read (a flow log not covering an ENI, one of several flow logs failed).
 * - `failed`: nothing was read; `errorKind` (and `iamAction` for `access-denied`) say why.
 */
export type CoverageStatus = 'complete' | 'not-applicable' | 'no-data' | 'partial' | 'failed';

export interface SourceCoverage {
  status: CoverageStatus;
  /** Why the source failed or was partial, when an AWS error was the reason. */
  errorKind?: SourceErrorKind;
  /** The IAM action that was missing, for `errorKind: 'access-denied'`. */
  iamAction?: string;
}

export type CoverageStatusBySource = Record<CoverageSource, SourceCoverage>;

export interface FunctionReport {
  name: string;
  arn: string;
  inVpc: boolean;
  runtime?: string;
  handler?: string;
  role?: string;
  tags?: Record<string, string>;
  enis: EniReport[];
  peers: PeerReport[];
  apiCalls: ApiCallReport[];
  findings: Finding[];
  metrics?: MetricsSummary;
  coverage: Coverage;
  /** The same as `coverage`, as data for code to branch on (added in format v1; reports written before lack it: read it with `coverageStatusOf`). */
  coverageStatus?: CoverageStatusBySource;
}

export interface ScanReport {
  formatVersion: 1;
  accountId: string;
  region: string;
  /** Where the data came from: `demo account`, `scenario <dir>`, `profile <name>`. */
  source?: string;
  generatedAt?: string;
  window: ReportWindow;
  functions: FunctionReport[];
  warnings: string[];
  stats?: ScanStats;
  /** What the scan read from AWS and what it cost (live scans only): requests, bytes scanned, the cache's share. */
  reads?: ScanReads;
}

/** What a live scan read, for the cost line: said by the source, with what its cache answered. */
export interface ScanReads {
  /** Requests sent to AWS, by IAM action name (`logs:StartQuery`, `cloudtrail:LookupEvents`, `cloudwatch:GetMetricData`). */
  requests: Record<string, number>;
  /** Bytes the queries scanned and AWS bills: Logs Insights' `statistics.bytesScanned`, Athena's and CloudTrail Lake's. */
  bytesScanned: number;
  /** Bytes of records downloaded: S3 objects, FilterLogEvents pages. */
  bytesDownloaded: number;
  /** What the scan was estimated to read, said before its queries ran (`Logs Insights on /vpc/flows: about 1.2 GB`). */
  estimates: string[];
  /** The cache of closed hours, when the scan used one. */
  cache?: CacheUse;
}

/** What the cache of closed hours answered in one scan. An "hour" is one source's hour of one key: an ENI's flows, a function's calls or metrics. */
export interface CacheUse {
  /** Where it is kept, shown to the user: a file path. */
  location: string;
  hoursFromCache: number;
  hoursFetched: number;
  /** The same by source (`flows`, `calls`, `callRows`, `management`, `metrics`): absent in reports of earlier versions. */
  bySection?: Record<string, { fromCache: number; fetched: number }>;
}

export interface ScanStats {
  flowRecords: number;
  flowRecordsAttributed: number;
  malformedFlowRecords: number;
  trailEvents: number;
  durationMs?: number;
  /** Wall time of each stage: inventory, flowLogs, cloudtrail, metrics, detect. */
  stageMs?: Record<string, number>;
}

export function protocolName(protocol: number): string {
  switch (protocol) {
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 1:
      return 'icmp';
    case 58:
      return 'icmpv6';
    default:
      return String(protocol);
  }
}

/** A peer's subject: `10.0.1.5:5432/tcp`. The protocol is its number (flow records) or its name (reports). */
export function peerSubject(address: string, port: number, protocol: number | string): string {
  return `${address}:${port}/${typeof protocol === 'number' ? protocolName(protocol) : protocol}`;
}

/** One peer for an AWS service whose addresses rotate: `aws:S3:us-east-1:443/tcp`. */
export function serviceSubject(service: string, region: string, port: number, protocol: number | string): string {
  return `aws:${service}:${region}:${port}/${typeof protocol === 'number' ? protocolName(protocol) : protocol}`;
}

/** The subject of a peer as the report holds it: the service's for an AWS service peer, else the address's. */
export function peerReportSubject(p: Pick<PeerReport, 'address' | 'port' | 'protocol' | 'service'>): string {
  return p.service ? serviceSubject(p.service.name, p.service.region, p.port, p.protocol) : peerSubject(p.address, p.port, p.protocol);
}

export function apiSubject(eventSource: string, eventName: string): string {
  return `${eventSource}:${eventName}`;
}

export function toIso(t: EpochMs): string {
  return new Date(t).toISOString().replace('.000Z', 'Z');
}
