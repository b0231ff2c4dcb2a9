// The live backend: the engine's ports answered by an AWS account through the developer's own profile, read-only.
import { functionFromAws, metricSeriesFromAws, networkInterfaceFromAws, trailEventFromAws } from '../core/aws-shapes';
import { parseLogFormat } from '../core/flowlog/format';
import { isLambdaEni } from '../core/inventory/enis';
import type { FlowLogConfig, LambdaFunction, MetricSeries, NetworkInterface, ScanReads, TrailEvent } from '../core/model';
import { managementEventFromAws } from '../core/trail/management';
import {
  SourceError,
  type AccountInfo,
  type FlowData,
  type FlowReadRequest,
  type ManagementEventsRequest,
  type MetricsRequest,
  type TelemetrySource,
  type TrailCalls,
  type TrailCallsRequest,
  type TrailRequest,
} from '../core/ports';
import { createClients, type AwsClients, type ClientOptions } from './clients';
import {
  fetchCallerIdentity,
  fetchEventsByName,
  fetchFlowLogs,
  fetchFlowRecords,
  flowLogConfigFromAws,
  fetchFunctions,
  fetchMetricData,
  fetchNetworkInterfaces,
  fetchTags,
  fetchTrailEvents,
  RateLimiter,
} from './fetch';
import { aggregateWithAthena, formatBytes, type AthenaFlowAnswer, type AthenaTable } from './athena';
import { trailCallsFromAthena, trailCallsFromLake, type TrailAnswer } from './cloudtrail-lake';
import {
  aggregateWithInsights,
  describeLogGroupSize,
  estimateInsightsBytes,
  insightsEstimateText,
  insightsQueryCount,
  type InsightsTally,
} from './insights';
import { LookupCostEstimator } from './lookup-cost';
import { iamAdvice } from './errors';
import { loadIpRanges, type AwsIpRangesFile, type IpRangesOptions } from './ip-ranges';
import { readS3FlowLog, S3ByteBudget } from './s3-flow-logs';
import type { FlowThreadOptions } from '../node/flow-workers';

export type FlowLogsQueryMode = 'insights' | 'filter';

export interface AwsSourceOptions extends ClientOptions {
  /** `insights` aggregates in CloudWatch Logs (the default); `filter` streams raw records with FilterLogEvents. */
  flowLogsQuery?: FlowLogsQueryMode;
  /** Called for what the user should know but that does not fail the scan (a fallback taken). */
  onNotice?: (message: string) => void;
  /** The poll budget of one Logs Insights query (default 15 minutes): past it the query is stopped and the raw records read. */
  insightsQueryBudgetMs?: number;
  /** Where AWS's ip-ranges document comes from and is cached: by default AWS's published URL, downloaded every scan. */
  ipRanges?: IpRangesOptions;
  /** The bytes of flow-log objects a scan reads from S3 at most (default 2 GiB): past them it says what it left unread. */
  maxS3Bytes?: number;
  /** Parsing S3 objects on threads (`--threads`, `lambdaBehavior.threads`): by default one fewer than the cores, from 16 MiB of objects. */
  flowThreads?: FlowThreadOptions;
  /** The flow logs' Athena table: one aggregation query a scan instead of each flow log's own destination. */
  flowLogsAthena?: AthenaTable;
  /** A CloudTrail Lake event data store (id or ARN) asked once a scan instead of paging LookupEvents. */
  cloudTrailLake?: string;
  /** An Athena table over the trail's bucket, asked once a scan instead of paging LookupEvents. */
  cloudTrailAthena?: AthenaTable;
  /** The poll budget of one Athena or Lake query (default 15 minutes): past it the query is stopped. */
  queryBudgetMs?: number;
  /** Told what the Athena and Lake queries answered, as returned (`record` keeps it). */
  onQueryAnswer?: (answer: { kind: 'athena-flows'; answer: AthenaFlowAnswer } | { kind: 'trail'; answer: TrailAnswer }) => void;
}

export function openAws(options: AwsSourceOptions = {}): AwsSource {
  return new AwsSource(createClients(options), options);
}

export { createClients, listProfiles, missingProfile, type ProfileSummary } from './clients';
export { recordScenario } from './record';
export type { IpRangesOptions } from './ip-ranges';

export class AwsSource implements TelemetrySource {
  readonly label: string;
  private functionsCache?: Promise<LambdaFunction[]>;
  private enisCache?: Promise<NetworkInterface[]>;
  private ipRangesCache?: Promise<AwsIpRangesFile | undefined>;
  private readonly trailLimiter = new RateLimiter(500);
  private insightsDenied = false;
  /**
   * The Athena flow-log answers of this scan by range (`start end`), for the ENIs each asked about: asked again for a
   * range not asked yet, or for ENIs it lacks. A cache asks for narrower ranges than the scan's: each is its own query.
   */
  private readonly athenaFlows = new Map<string, { enis: Set<string>; answer: Promise<AthenaFlowAnswer> }>();
  /** logs:DescribeLogGroups was denied: no more Logs Insights estimates this scan (said once). */
  private describeLogGroupsDenied = false;
  /** Why the Athena flow-log query failed: every flow log is then read from its own destination, and says why. */
  private athenaFlowsFailure?: string;
  /** The last ENI listing failed (and said so): flow logs are then looked up by VPC and subnet alone. */
  private enisFailed = false;
  private notices: string[] = [];
  private accountCache?: Promise<AccountInfo>;
  /** One budget for the source's life: the CLI and the extension open a source per scan. */
  private readonly s3Budget: S3ByteBudget;

  constructor(
    readonly clients: AwsClients,
    private readonly options: AwsSourceOptions,
  ) {
    this.s3Budget = new S3ByteBudget(options.maxS3Bytes);
    this.label = `profile ${options.profile ?? process.env.AWS_PROFILE ?? 'default'}${options.region ? ` (${options.region})` : ''}`;
  }

  async account(signal: AbortSignal): Promise<AccountInfo> {
    this.accountCache ??= fetchCallerIdentity(this.clients, signal);
    this.accountCache.catch(() => (this.accountCache = undefined));
    return this.accountCache;
  }

  listFunctions(signal: AbortSignal): Promise<LambdaFunction[]> {
    this.functionsCache ??= (async () => {
      const raw = await fetchFunctions(this.clients, signal);
      let tags: Record<string, Record<string, string>> = {};
      try {
        tags = await fetchTags(this.clients, raw.map((f) => f.FunctionArn ?? '').filter(Boolean), signal);
      } catch (err) {
        // Tags only help map functions to source: without lambda:ListTags the scan goes on.
        if (!SourceError.is(err)) throw err;
        this.notice(`function tags not read (${iamAdvice(err)}): source mapping by tag is off for this scan`);
      }
      return raw.map((f) => functionFromAws(f, tags[f.FunctionArn ?? ''] ?? {}));
    })();
    this.functionsCache.catch(() => (this.functionsCache = undefined));
    return this.functionsCache;
  }

  async listNetworkInterfaces(signal: AbortSignal): Promise<NetworkInterface[]> {
    const functions = await this.listFunctions(signal);
    if (!functions.some((f) => f.vpc)) return [];
    this.enisCache ??= fetchNetworkInterfaces(this.clients, await this.vpcIds(signal), signal).then((e) => e.map(networkInterfaceFromAws));
    this.enisCache.then(
      () => (this.enisFailed = false),
      () => {
        this.enisCache = undefined;
        this.enisFailed = true;
      },
    );
    return this.enisCache;
  }

  async describeFlowLogs(signal: AbortSignal): Promise<FlowLogConfig[]> {
    const functions = await this.listFunctions(signal);
    const resources = functions.flatMap((f) => (f.vpc ? [f.vpc.vpcId ?? '', ...f.vpc.subnetIds] : [])).filter(Boolean);
    if (resources.length === 0) return [];
    // Flow logs may hang on the VPC, the subnet or the ENI itself. Without the ENIs (their own failure is
    // reported as theirs) the VPC and subnet flow logs are still found.
    const lambdaEnis = this.enisFailed ? [] : (await this.listNetworkInterfaces(signal)).filter(isLambdaEni);
    const ids = [...resources, ...lambdaEnis.flatMap((e) => [e.id, e.vpcId])];
    return (await fetchFlowLogs(this.clients, ids, signal)).map(flowLogConfigFromAws);
  }

  async *readFlowLog(flowLog: FlowLogConfig, request: FlowReadRequest, signal: AbortSignal): AsyncIterable<FlowData> {
    const table = this.options.flowLogsAthena;
    if (table && !this.athenaFlowsFailure) {
      const name = `${table.database}.${table.table}`;
      try {
        const answer = await this.askAthenaForFlows(request, signal);
        const ids = new Set(request.enis.map((e) => e.id));
        yield { kind: 'aggregated', source: `Athena table ${name}`, rows: answer.rows.filter((r) => ids.has(r.eniId)) };
        yield { kind: 'summary', read: `with Athena on ${name}: one query for the scan, ${formatBytes(answer.dataScannedBytes)} scanned` };
        return;
      } catch (err) {
        // Denied, failed, past its budget: the flow log's own destination still answers, only slower.
        if (!SourceError.is(err) || err.kind === 'expired-credentials' || signal.aborted) throw err;
        this.athenaFlowsFailure = `the Athena query on ${name} failed: ${iamAdvice(err)}`;
        this.options.onNotice?.(`${err.message}: reading each flow log from its own destination instead`);
      }
    }
    if (this.athenaFlowsFailure) {
      // Said before the records, so that the flow log's coverage names the fallback.
      const note = `read from its ${flowLog.destinationType === 's3' ? 'S3 objects' : 'log group'} because ${this.athenaFlowsFailure}`;
      yield { kind: 'aggregated', source: `flow log ${flowLog.id}`, rows: [], note };
    }
    if (flowLog.destinationType === 's3') {
      // Objects are keyed by the account and region that own the flow log: this account's, in this region.
      const account = await this.account(signal);
      const threads = this.options.flowThreads ?? {};
      yield* readS3FlowLog(this.clients.s3(), flowLog, account, request, this.s3Budget, signal, this.clients.meter, threads);
      return;
    }
    if (flowLog.destinationType !== 'cloud-watch-logs' || !flowLog.logGroupName) return;
    const format = parseLogFormat(flowLog.logFormat);
    const useInsights = (this.options.flowLogsQuery ?? 'insights') === 'insights' && !this.insightsDenied && format.interfaceId >= 0;
    let note: string | undefined;
    if (useInsights) {
      await this.estimateInsights(flowLog.logGroupName, request, signal);
      const tally: InsightsTally = { queries: 0, bytesScanned: 0 };
      try {
        const rows = await aggregateWithInsights(
          this.clients,
          flowLog.logGroupName,
          format,
          request.enis,
          request.start,
          request.end,
          signal,
          {
            queryBudgetMs: this.options.insightsQueryBudgetMs,
            tally,
          },
        );
        yield { kind: 'aggregated', source: `Logs Insights on ${flowLog.logGroupName}`, rows };
        // What the queries scanned (and Insights bills) goes into the flow log's coverage, as Athena's does.
        const queries = `${tally.queries} ${tally.queries === 1 ? 'query' : 'queries'}`;
        yield {
          kind: 'summary',
          read: `with Logs Insights on ${flowLog.logGroupName}: ${queries}, ${formatBytes(tally.bytesScanned)} scanned`,
        };
        return;
      } catch (err) {
        // Denied, timed out, cancelled, throttled: the raw records still answer, only slower.
        if (!SourceError.is(err) || err.kind === 'expired-credentials' || signal.aborted) throw err;
        if (err.kind === 'access-denied') this.insightsDenied = true;
        note = `read with logs:FilterLogEvents because Logs Insights failed: ${iamAdvice(err)}`;
        this.options.onNotice?.(`${err.message}: reading raw records with logs:FilterLogEvents instead`);
      }
    } else if (this.insightsDenied) {
      note = 'read with logs:FilterLogEvents because Logs Insights failed: access denied: needs logs:StartQuery';
    }
    for (const { id: eniId } of request.enis) {
      yield {
        kind: 'raw',
        source: `${flowLog.logGroupName} stream ${eniId}`,
        chunks: fetchFlowRecords(this.clients, flowLog.logGroupName, eniId, request.start, request.end, signal),
        ...(note ? { note } : {}),
      };
    }
  }

  async *lookupEvents(request: TrailRequest, signal: AbortSignal): AsyncIterable<TrailEvent[]> {
    const cost = new LookupCostEstimator(request.sessionNames, request, (m) => this.estimate(m));
    for (const name of request.sessionNames) {
      for await (const page of fetchTrailEvents(this.clients, name, request.start, request.end, this.trailLimiter, signal)) {
        const events = page.map(trailEventFromAws);
        cost.page(name, events);
        yield events;
      }
      cost.end(name);
    }
  }

  /**
   * With a Lake event data store or an Athena table over the trail, the calls in one query; undefined without one, or
   * when the query failed (said as a notice): the engine then pages LookupEvents.
   */
  async trailCalls(request: TrailCallsRequest, signal: AbortSignal): Promise<TrailCalls | undefined> {
    const { cloudTrailLake: lake, cloudTrailAthena: table } = this.options;
    if (!lake && !table) return undefined;
    const where = lake ? `CloudTrail Lake event data store ${lake}` : `Athena table ${table!.database}.${table!.table}`;
    try {
      const answer = lake
        ? await trailCallsFromLake(this.clients, lake, request, signal, this.options.queryBudgetMs)
        : await trailCallsFromAthena(this.clients, table!, request, signal, this.options.queryBudgetMs);
      this.options.onQueryAnswer?.({ kind: 'trail', answer });
      return { rows: answer.rows, read: `${where}: one query for the scan, ${formatBytes(answer.bytesScanned)} scanned` };
    } catch (err) {
      if (!SourceError.is(err) || err.kind === 'expired-credentials' || signal.aborted) throw err;
      this.notice(`CloudTrail: the query on ${where} failed (${iamAdvice(err)}): paging cloudtrail:LookupEvents instead`);
      return undefined;
    }
  }

  /** One lookup per event name (LookupEvents takes one attribute), through the same rate limiter as the other lookups. */
  async *lookupManagementEvents(request: ManagementEventsRequest, signal: AbortSignal): AsyncIterable<TrailEvent[]> {
    for (const name of request.eventNames) {
      for await (const page of fetchEventsByName(this.clients, name, request.start, request.end, this.trailLimiter, signal)) {
        yield page.map(managementEventFromAws);
      }
    }
  }

  async getMetrics(request: MetricsRequest, signal: AbortSignal): Promise<MetricSeries[]> {
    if (request.functionNames.length === 0) return [];
    const data = await fetchMetricData(
      this.clients,
      request.functionNames,
      request.metrics,
      request.start,
      request.end,
      request.periodSeconds,
      signal,
    );
    return metricSeriesFromAws(data.MetricDataQueries, data.MetricDataResults);
  }

  /**
   * Undefined when no document could be had, with a notice saying why: the scan goes on, naming public peers
   * `external` (a refresh that failed with a cached copy at hand uses the copy, and says so too).
   */
  ipRanges(signal: AbortSignal): Promise<AwsIpRangesFile | undefined> {
    this.ipRangesCache ??= loadIpRanges(this.options.ipRanges ?? {}, signal).then((loaded) => {
      for (const n of loaded.notices) this.notice(n);
      return loaded.document;
    });
    this.ipRangesCache.catch(() => (this.ipRangesCache = undefined));
    return this.ipRangesCache;
  }

  takeNotices(): string[] {
    return this.notices.splice(0);
  }

  /** Requests sent (each attempt), bytes scanned and downloaded, and the estimates said, since the last take. */
  takeReads(): ScanReads {
    return this.clients.meter.take();
  }

  dispose(): void {
    this.clients.destroy();
  }

  /** One query for every Lambda ENI known (one a scan), again only for a flow log's ENIs it did not ask about. */
  private async askAthenaForFlows(request: FlowReadRequest, signal: AbortSignal): Promise<AthenaFlowAnswer> {
    // An answer is the range's it was asked for: a narrower or another range is a query of its own.
    const range = `${request.start} ${request.end}`;
    const cached = this.athenaFlows.get(range);
    if (cached && request.enis.every((e) => cached.enis.has(e.id))) return cached.answer;
    const known = this.enisFailed
      ? []
      : (await this.listNetworkInterfaces(signal))
          .filter(isLambdaEni)
          .map((e) => ({ id: e.id, addresses: [...e.privateIps, ...e.ipv6Ips] }));
    const byId = new Map([...known, ...request.enis].map((e) => [e.id, e]));
    const enis = [...byId.values()];
    const answer = aggregateWithAthena(
      this.clients,
      this.options.flowLogsAthena!,
      enis,
      request.start,
      request.end,
      signal,
      this.options.queryBudgetMs,
    );
    const entry = { enis: new Set(byId.keys()), answer };
    this.athenaFlows.set(range, entry);
    answer.then(
      (a) => this.options.onQueryAnswer?.({ kind: 'athena-flows', answer: a }),
      () => {
        if (this.athenaFlows.get(range) === entry) this.athenaFlows.delete(range);
      },
    );
    return answer;
  }

  /**
   * Said before the queries run: the bytes they will scan, from the group's stored bytes (logs:DescribeLogGroups). Not
   * to be had (denied, throttled), the scan goes on without it and says why once.
   */
  private async estimateInsights(logGroupName: string, request: FlowReadRequest, signal: AbortSignal): Promise<void> {
    if (this.describeLogGroupsDenied || request.enis.length === 0) return;
    try {
      const size = await describeLogGroupSize(this.clients, logGroupName, signal);
      if (!size) return;
      const queries = insightsQueryCount(request.enis);
      const bytes = estimateInsightsBytes(size, request.start, request.end, queries, Date.now());
      this.estimate(insightsEstimateText(logGroupName, bytes, queries));
    } catch (err) {
      if (!SourceError.is(err) || err.kind === 'expired-credentials' || signal.aborted) throw err;
      if (err.kind === 'access-denied') {
        this.describeLogGroupsDenied = true;
        this.notice(`Logs Insights: no estimate of the bytes to scan (access denied: needs logs:DescribeLogGroups)`);
      } else this.notice(`Logs Insights on ${logGroupName}: no estimate of the bytes to scan (${iamAdvice(err)})`);
    }
  }

  /**
   * An estimate said before the reads it is about (the CLI prints it, the extension's progress shows it), and kept in the
   * report's reads beside what was read: information, not a warning about the scan.
   */
  private estimate(message: string): void {
    this.clients.meter.estimate(message);
    this.options.onNotice?.(message);
  }

  private notice(message: string): void {
    this.notices.push(message);
    this.options.onNotice?.(message);
  }

  private async vpcIds(signal: AbortSignal): Promise<string[]> {
    const functions = await this.listFunctions(signal);
    return [...new Set(functions.map((f) => f.vpc?.vpcId).filter((v): v is string => !!v))];
  }
}
