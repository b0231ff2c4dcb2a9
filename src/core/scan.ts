// One scan: read the account through the ports, attribute every source to functions, compare windows, and build the report.
import { isAccepted, type AcceptedBehaviour } from './accepted';
import { findingId, type DraftFinding } from './detect/draft';
import { applyUserRules, IgnoreMatcher, type IgnoreRules } from './ignore';
import { analyseMetrics, type MetricAnalysis } from './detect/metric-findings';
import { FunctionTrafficBuilder, peerFindings, peerReport, type PeerTraffic } from './detect/network';
import { FlowAggregator } from './flowlog/aggregate';
import { LogFormatError, parseLogFormat } from './flowlog/format';
import { mapLambdaEnis, type LambdaEni } from './inventory/enis';
import { EniHistory } from './inventory/history';
import { AwsIpRanges, PeerNamer } from './inventory/resources';
import { hourlyMetrics } from './metrics/hourly';
import { HOUR_MS } from './time';
import {
  METRIC_NAMES,
  SEVERITY_RANK,
  toIso,
  type EpochMs,
  type Finding,
  type FlowAggregate,
  type FlowLogConfig,
  type FunctionReport,
  type LambdaFunction,
  type NetworkInterface,
  type ScanReport,
} from './model';
import { SourceError, silentLogger, type Logger, type TelemetrySource } from './ports';
import { apiCallReport, callFindings, TrailAttributor } from './trail/calls';

export interface ScanOptions {
  /** The end of the detection window; defaults to the recording time of a scenario, else the clock. */
  now?: EpochMs;
  baselineDays?: number;
  detectHours?: number;
  /** Only these functions (all when empty). */
  functions?: string[];
  accepted?: AcceptedBehaviour;
  /** Peers and API calls left out of the report, with the findings about them. */
  ignore?: IgnoreRules;
  signal?: AbortSignal;
  logger?: Logger;
  /** ENI history kept across scans; the current inventory is added to it. */
  history?: EniHistory;
  onProgress?: (message: string) => void;
}

export const DEFAULT_BASELINE_DAYS = 14;
export const DEFAULT_DETECT_HOURS = 24;
/** Two weeks: the longest detection window (a longer one would be a baseline of its own). */
export const MAX_DETECT_HOURS = 336;
/** CloudTrail's LookupEvents reaches back 90 days: a longer baseline could not be answered. */
export const MAX_BASELINE_DAYS = 89;

export interface Windows {
  baselineStart: EpochMs;
  detectStart: EpochMs;
  detectEnd: EpochMs;
}

/** The detection window ends on the hour at or after `now`, so that it lines up with CloudWatch's hourly periods. */
export function scanWindows(now: EpochMs, baselineDays: number, detectHours: number): Windows {
  const detectEnd = Math.ceil(now / HOUR_MS) * HOUR_MS;
  const detectStart = detectEnd - detectHours * HOUR_MS;
  return { baselineStart: detectStart - baselineDays * 24 * HOUR_MS, detectStart, detectEnd };
}

/**
 * Scans through `source`. Once `options.signal` aborts, the scan rejects with its reason, whatever the source
 * does with the signal: it never resolves with a report built from half-read sources after a cancellation.
 */
export async function scan(source: TelemetrySource, options: ScanOptions = {}): Promise<ScanReport> {
  const signal = options.signal ?? new AbortController().signal;
  try {
    const report = await runScan(source, options, signal);
    signal.throwIfAborted();
    return report;
  } catch (err) {
    // The SDK rejects with its own AbortError, a source may fail in any way once cancelled: the cause is the abort.
    if (signal.aborted) throw signal.reason;
    throw err;
  }
}

async function runScan(source: TelemetrySource, options: ScanOptions, signal: AbortSignal): Promise<ScanReport> {
  const started = Date.now();
  const log = options.logger ?? silentLogger;
  const progress = options.onProgress ?? (() => undefined);
  const baselineDays = options.baselineDays ?? DEFAULT_BASELINE_DAYS;
  const detectHours = options.detectHours ?? DEFAULT_DETECT_HOURS;
  if (!(baselineDays >= 1 && baselineDays <= MAX_BASELINE_DAYS)) throw new RangeError(`baseline days must be between 1 and ${MAX_BASELINE_DAYS}`);
  if (!(detectHours >= 1 && detectHours <= MAX_DETECT_HOURS)) throw new RangeError(`detection hours must be between 1 and ${MAX_DETECT_HOURS}`);
  // A bad rule is the user's typo: say so before any AWS call is made.
  const ignore = options.ignore ? new IgnoreMatcher(options.ignore) : undefined;
  const warnings: string[] = [];
  const failures = new Map<string, string>();

  /** Runs one source call; a SourceError marks that source as failed and the scan goes on. */
  async function attempt<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    signal.throwIfAborted();
    try {
      const value = await call();
      signal.throwIfAborted();
      return value;
    } catch (err) {
      signal.throwIfAborted();
      if (!SourceError.is(err)) throw err;
      const message = err.kind === 'access-denied' && err.iamAction ? `access denied: needs ${err.iamAction}` : `${err.kind}: ${err.message}`;
      failures.set(what, message);
      warnings.push(`${what}: ${message}`);
      log.warn(`[scan] ${what}: ${message}`);
      return undefined;
    }
  }

  const stageMs: Record<string, number> = {};
  let stageStart = Date.now();
  const stage = (name: string, message: string) => {
    const t = Date.now();
    stageMs[name] = t - stageStart;
    stageStart = t;
    takeNotices();
    signal.throwIfAborted();
    progress(message);
    signal.throwIfAborted();
  };
  const takeNotices = () => {
    for (const n of source.takeNotices?.() ?? []) if (!warnings.includes(n)) warnings.push(n);
  };
  progress('Reading the inventory');
  signal.throwIfAborted();
  const account = await source.account(signal);
  signal.throwIfAborted();
  const now = options.now ?? account.recordedAt ?? Date.now();
  const w = scanWindows(now, baselineDays, detectHours);
  // Without the function list there is nothing to scan: that failure is the scan's.
  signal.throwIfAborted();
  const allFunctions = await source.listFunctions(signal);
  signal.throwIfAborted();
  const wanted = options.functions?.length ? new Set(options.functions) : undefined;
  const functions = wanted ? allFunctions.filter((f) => wanted.has(f.name)) : allFunctions;
  for (const name of wanted ?? []) if (!allFunctions.some((f) => f.name === name)) warnings.push(`function ${name} was not found in ${account.region}`);
  const enis = (await attempt('ec2:DescribeNetworkInterfaces', () => source.listNetworkInterfaces(signal))) ?? [];
  const flowLogs = (await attempt('ec2:DescribeFlowLogs', () => source.describeFlowLogs(signal))) ?? [];
  const ipRangesDoc = source.ipRanges ? await attempt('ip-ranges', () => source.ipRanges!(signal)) : undefined;

  const lambdaEnis = mapLambdaEnis(enis, allFunctions);
  const history = options.history ?? new EniHistory();
  history.observe(now, enis, lambdaEnis);
  const namer = new PeerNamer(history, new AwsIpRanges(ipRangesDoc));
  const selected = new Set(functions.map((f) => f.name));
  const scannedEnis = lambdaEnis.filter((l) => l.functions.some((f) => selected.has(f)));

  // ---- flow logs
  stage('inventory', 'Reading flow logs');
  const assignment = assignFlowLogs(scannedEnis.map((l) => l.eni), flowLogs);
  const aggregator = new FlowAggregator(
    scannedEnis.map((l) => ({ id: l.eni.id, addresses: [...l.eni.privateIps, ...l.eni.ipv6Ips] })),
    { start: w.baselineStart, end: w.detectEnd },
    w.detectStart,
    history,
  );
  const flowLogProblems = new Map<string, string>();
  /** How a flow log was read when the source had to fall back: its coverage says so. */
  const flowLogNotes = new Map<string, string>();
  for (const [flowLog, covered] of assignment.byFlowLog) {
    const problem = await readFlowLog(flowLog, covered);
    if (problem) flowLogProblems.set(flowLog.id, problem);
  }
  const rows = aggregator.aggregates();
  const fstats = aggregator.stats;
  if (fstats.malformed > 0) {
    const examples = fstats.malformedExamples.map((m) => `${m.source} line ${m.line}: ${m.reason}`).join('; ');
    warnings.push(`${fstats.malformed} malformed flow record(s) skipped (${examples})`);
  }

  async function readFlowLog(flowLog: FlowLogConfig, covered: NetworkInterface[]): Promise<string | undefined> {
    if (flowLog.destinationType === 's3') return `flow logs go to S3 bucket ${bucketOf(flowLog.destination)}: not read yet`;
    if (flowLog.destinationType !== 'cloud-watch-logs') return `flow log ${flowLog.id} goes to ${flowLog.destinationType}: not read`;
    let format;
    try {
      format = parseLogFormat(flowLog.logFormat);
    } catch (err) {
      if (err instanceof LogFormatError) return `flow log ${flowLog.id}: ${err.message}`;
      throw err;
    }
    if (format.unknownFields.length) warnings.push(`flow log ${flowLog.id}: unknown LogFormat field(s) ${format.unknownFields.join(', ')} ignored`);
    const request = {
      start: w.baselineStart,
      end: w.detectEnd,
      enis: covered.map((e) => ({ id: e.id, addresses: [...e.privateIps, ...e.ipv6Ips] })),
    };
    const coveredIds = request.enis.map((e) => e.id);
    const failed = await attempt(`flow log ${flowLog.id}`, async () => {
      for await (const data of source.readFlowLog(flowLog, request, signal)) {
        if (data.note && !flowLogNotes.has(flowLog.id)) {
          flowLogNotes.set(flowLog.id, data.note);
          warnings.push(`flow log ${flowLog.id}: ${data.note}`);
        }
        if (data.kind === 'aggregated') {
          signal.throwIfAborted();
          aggregator.addAggregates(data.rows, coveredIds);
          continue;
        }
        const stream = aggregator.stream(format, data.source, coveredIds);
        // Raw chunks are always iterated, even once cancelled: leaving the loop closes the source's stream,
        // where a stream never iterated could fail later with no one listening.
        try {
          for await (const chunk of data.chunks) {
            signal.throwIfAborted();
            stream.push(chunk);
          }
        } catch (err) {
          if (signal.aborted || SourceError.is(err)) throw err;
          // A truncated or corrupt file: keep what was read, say where it stopped.
          warnings.push(`${data.source}: reading stopped early (${(err as Error).message}); records before that point are used`);
        }
        stream.end();
      }
      return true;
    });
    return failed ? undefined : `flow log ${flowLog.id}: ${failures.get(`flow log ${flowLog.id}`)}`;
  }

  // ---- CloudTrail
  stage('flowLogs', 'Reading CloudTrail');
  const trail = new TrailAttributor(allFunctions, w.detectStart);
  await attempt('cloudtrail:LookupEvents', async () => {
    const request = { start: w.baselineStart, end: w.detectEnd, sessionNames: functions.map((f) => f.name) };
    for await (const page of source.lookupEvents(request, signal)) {
      signal.throwIfAborted();
      for (const e of page) trail.add(e);
    }
  });

  // ---- metrics (of the scanned functions and of everything sharing an ENI with them, for attribution)
  stage('cloudtrail', 'Reading metrics');
  const metricFunctions = [...new Set([...selected, ...scannedEnis.flatMap((l) => l.functions)])];
  const series = (await attempt('cloudwatch:GetMetricData', () =>
    source.getMetrics({ functionNames: metricFunctions, metrics: METRIC_NAMES, start: w.baselineStart, end: w.detectEnd, periodSeconds: 3600 }, signal),
  )) ?? [];
  const baselineHours = baselineDays * 24;
  const analyses = new Map<string, MetricAnalysis>();
  const seriesByFunction = groupBy(series, (s) => s.functionName);
  // Where the source's metrics begin (a recording may be shorter than the baseline): hours before are unknown, not zero.
  let firstPoint = Infinity;
  for (const s of series) for (const p of s.points) if (p.t < firstPoint) firstPoint = p.t;
  const dataFrom = Number.isFinite(firstPoint) ? Math.floor((firstPoint - w.baselineStart) / HOUR_MS) : 0;
  for (const name of metricFunctions) {
    const m = hourlyMetrics(seriesByFunction.get(name) ?? [], w.baselineStart, baselineHours + detectHours);
    analyses.set(name, analyseMetrics(m, baselineHours, detectHours, dataFrom));
  }
  if (dataFrom > 0 && series.length) warnings.push(`metrics start at ${toIso(firstPoint)}: the baseline has ${Math.max(0, baselineDays - Math.ceil(dataFrom / 24))} full day(s) of metrics, not ${baselineDays}`);

  // ---- per function
  stage('metrics', 'Comparing with the baseline');
  const rowsByEni = groupBy(rows, (r) => r.eniId);
  const reports = functions.map((fn) =>
    functionReport(fn, {
      lambdaEnis: scannedEnis.filter((l) => l.functions.includes(fn.name)),
      rowsByEni, namer, trail, analyses, windows: w, detectHours,
      accepted: options.accepted,
      coverage: {
        network: networkCoverage(fn, scannedEnis, assignment, flowLogProblems, failures, flowLogNotes),
        cloudtrail: failures.get('cloudtrail:LookupEvents')
          ? `failed: ${failures.get('cloudtrail:LookupEvents')}`
          : 'complete: management events by the function\'s role session (data events such as S3 GetObject are not in LookupEvents)',
        metrics: failures.get('cloudwatch:GetMetricData')
          ? `failed: ${failures.get('cloudwatch:GetMetricData')}`
          : seriesByFunction.has(fn.name) ? 'complete: hourly Invocations, Errors, Throttles, Duration, ConcurrentExecutions' : 'no data: the function was not invoked in the windows',
      },
    }),
  );

  stage('detect', 'Done');
  takeNotices();
  const report: ScanReport = {
    formatVersion: 1,
    accountId: account.accountId,
    region: account.region,
    source: source.label,
    generatedAt: toIso(Date.now()),
    window: {
      baselineStart: toIso(w.baselineStart),
      baselineEnd: toIso(w.detectStart),
      detectStart: toIso(w.detectStart),
      detectEnd: toIso(w.detectEnd),
    },
    functions: reports,
    warnings,
    stats: {
      flowRecords: fstats.records,
      flowRecordsAttributed: fstats.attributed,
      malformedFlowRecords: fstats.malformed,
      trailEvents: trail.events,
      durationMs: Date.now() - started,
      stageMs,
    },
  };
  const filtered = ignore ? applyUserRules(report, { ignore }) : report;
  log.info(`[scan] ${reports.length} function(s), ${fstats.records} flow record(s), ${trail.events} CloudTrail event(s) in ${report.stats!.durationMs} ms`);
  return filtered;
}

interface FunctionContext {
  lambdaEnis: LambdaEni[];
  rowsByEni: Map<string, FlowAggregate[]>;
  namer: PeerNamer;
  trail: TrailAttributor;
  analyses: Map<string, MetricAnalysis>;
  windows: Windows;
  detectHours: number;
  accepted?: AcceptedBehaviour;
  coverage: FunctionReport['coverage'];
}

function functionReport(fn: LambdaFunction, ctx: FunctionContext): FunctionReport {
  const traffic = new FunctionTrafficBuilder(ctx.windows.baselineStart, ctx.windows.detectStart);
  for (const l of ctx.lambdaEnis) for (const row of ctx.rowsByEni.get(l.eni.id) ?? []) traffic.add(row, l.functions);

  const findings: Finding[] = [];
  const addFinding = (d: DraftFinding) => {
    if (isAccepted(ctx.accepted, fn.name, d)) return;
    findings.push({ id: findingId(fn.name, d.kind, d.subject), attribution: d.attribution ?? 'exact', ...d });
  };

  const peers = [...traffic.peers.values()].map((p) => {
    const resource = ctx.namer.name(p.address, Math.max(p.detect.last, p.baseline.last));
    const growth = Math.max(...[...p.candidates].map((c) => invocationGrowth(ctx.analyses.get(c), ctx.detectHours)));
    for (const d of peerFindings(p, resource, ctx.detectHours, growth)) {
      const owner = settleAttribution(p, fn.name, ctx.analyses);
      if (owner.attribution === 'elsewhere') continue;
      addFinding({ ...d, attribution: owner.attribution, evidence: { ...d.evidence, ...(owner.candidates ? { candidates: owner.candidates } : {}) } });
    }
    return peerReport(p, resource, fn.name);
  });

  const calls = ctx.trail.calls(fn.name);
  for (const t of calls) for (const d of callFindings(t)) addFinding(d);
  const analysis = ctx.analyses.get(fn.name);
  for (const d of analysis?.findings ?? []) addFinding(d);

  findings.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.kind.localeCompare(b.kind) || a.subject.localeCompare(b.subject));
  return {
    name: fn.name,
    arn: fn.arn,
    inVpc: !!fn.vpc,
    runtime: fn.runtime,
    handler: fn.handler,
    role: fn.role,
    tags: fn.tags,
    enis: ctx.lambdaEnis.map((l) => ({
      id: l.eni.id,
      privateIp: l.eni.privateIps[0] ?? '',
      subnetId: l.eni.subnetId,
      securityGroupIds: l.eni.securityGroupIds,
      sharedWith: l.functions.filter((f) => f !== fn.name),
    })),
    peers: peers.sort((a, b) => Number(a.inBaseline) - Number(b.inBaseline) || b.flows - a.flows || a.address.localeCompare(b.address)),
    apiCalls: calls
      .map(apiCallReport)
      .sort((a, b) => (a.caller === b.caller ? 0 : a.caller === 'function' ? -1 : 1) || Number(a.inBaseline) - Number(b.inBaseline) || b.count - a.count),
    findings,
    ...(analysis ? { metrics: analysis.summary } : {}),
    coverage: ctx.coverage,
  };
}

/** Detection-window invocations against the baseline's daily mean (1 when the metrics cannot say). */
function invocationGrowth(analysis: MetricAnalysis | undefined, detectHours: number): number {
  if (!analysis) return 1;
  const perDay = (analysis.summary.totals.detect.Invocations ?? 0) * (24 / detectHours);
  const usual = analysis.summary.totals.baselineDailyMean.Invocations ?? 0;
  return usual > 0 ? perDay / usual : 1;
}

/**
 * Who owns evidence seen on a peer. Through an ENI of this function alone: exact. Through a shared ENI: if only
 * one candidate was invoked in every hour the traffic flowed, it is that one's (inferred); otherwise it is shared.
 */
function settleAttribution(
  p: PeerTraffic,
  fn: string,
  analyses: Map<string, MetricAnalysis>,
): { attribution: 'exact' | 'shared' | 'inferred' | 'elsewhere'; candidates?: string[] } {
  const candidates = [...p.candidates].sort();
  if (candidates.length === 1 && candidates[0] === fn) return { attribution: 'exact' };
  const hours = [...p.detectHours];
  const active = candidates.filter((c) => {
    const a = analyses.get(c);
    return a !== undefined && a.activeHours.size > 0 && hours.every((h) => a.activeHours.has(h));
  });
  if (active.length === 1 && hours.length > 0) return active[0] === fn ? { attribution: 'inferred', candidates } : { attribution: 'elsewhere' };
  return { attribution: 'shared', candidates };
}

interface FlowLogAssignment {
  byFlowLog: Map<FlowLogConfig, NetworkInterface[]>;
  byEni: Map<string, FlowLogConfig>;
}

/** Each ENI is read from one flow log only, the most specific (ENI, then subnet, then VPC), so no record counts twice. */
function assignFlowLogs(enis: readonly NetworkInterface[], flowLogs: readonly FlowLogConfig[]): FlowLogAssignment {
  const active = flowLogs.filter((f) => !f.status || f.status === 'ACTIVE');
  const byFlowLog = new Map<FlowLogConfig, NetworkInterface[]>();
  const byEni = new Map<string, FlowLogConfig>();
  for (const eni of enis) {
    const rank = (f: FlowLogConfig) =>
      (f.resourceId === eni.id ? 30 : f.resourceId === eni.subnetId ? 20 : f.resourceId === eni.vpcId ? 10 : 0) +
      (f.destinationType === 'cloud-watch-logs' ? 2 : 0) + (f.trafficType === 'ALL' || !f.trafficType ? 1 : 0);
    const best = active.filter((f) => rank(f) >= 10).sort((a, b) => rank(b) - rank(a))[0];
    if (!best) continue;
    byEni.set(eni.id, best);
    const list = byFlowLog.get(best) ?? [];
    list.push(eni);
    byFlowLog.set(best, list);
  }
  return { byFlowLog, byEni };
}

function networkCoverage(
  fn: LambdaFunction,
  scanned: readonly LambdaEni[],
  assignment: FlowLogAssignment,
  problems: Map<string, string>,
  failures: Map<string, string>,
  notes: Map<string, string>,
): string {
  if (!fn.vpc) return 'ok: not in a VPC (Lambda runs it on its own network, which has no flow logs)';
  if (failures.has('ec2:DescribeNetworkInterfaces')) return `failed: ${failures.get('ec2:DescribeNetworkInterfaces')}`;
  const mine = scanned.filter((l) => l.functions.includes(fn.name));
  if (mine.length === 0) return 'no Lambda ENI found for this function: it has a VPC configuration but EC2 lists no ENI for it';
  if (failures.has('ec2:DescribeFlowLogs')) return `failed: ${failures.get('ec2:DescribeFlowLogs')}`;
  const uncovered = mine.filter((l) => !assignment.byEni.has(l.eni.id)).map((l) => l.eni.id);
  const used = [...new Set(mine.map((l) => assignment.byEni.get(l.eni.id)).filter((f): f is FlowLogConfig => !!f))];
  const issues = [
    ...used.map((f) => problems.get(f.id)).filter((p): p is string => !!p),
    ...used.filter((f) => f.trafficType && f.trafficType !== 'ALL').map((f) => `flow log ${f.id} records only ${f.trafficType} traffic`),
    ...(uncovered.length ? [`no flow log covers ${uncovered.join(', ')}`] : []),
  ];
  if (issues.length) return `partial: ${issues.join('; ')}`;
  const note = (f: FlowLogConfig) => (notes.has(f.id) ? `, ${notes.get(f.id)}` : '');
  return `complete: ${mine.length} ENI(s) through flow log ${used.map((f) => `${f.id} (${f.logGroupName ?? f.destinationType}${note(f)})`).join(', ')}`;
}

function bucketOf(destination: string | undefined): string {
  return destination?.replace(/^arn:aws[a-z-]*:s3:::/, '').split('/')[0] || '(unknown)';
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

