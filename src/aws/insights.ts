// Flow-log aggregation pushed into CloudWatch Logs Insights: one row per ENI × peer × port × protocol × action × hour.
import {
  DescribeLogGroupsCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type ResultField,
} from '@aws-sdk/client-cloudwatch-logs';
import type { FlowLogFormat } from '../core/flowlog/format';
import type { FlowAggregate } from '../core/model';
import { SourceError } from '../core/ports';
import { flowRowsToAggregates } from '../core/query-rows';
import { formatBytes } from '../core/query-rows';
import { DAY_MS, HOUR_MS } from '../core/time';
import type { AwsClients } from './clients';
import { abortableSleep, call } from './fetch';

/** Logs Insights returns at most 10,000 rows: a range that fills it is split in two and asked again. */
export const INSIGHTS_ROW_LIMIT = 10_000;
const POLL_MS = [300, 600, 1000, 2000, 3000, 5000];

const field = (name: string) => `f_${name.replace(/-/g, '_')}`;
const quote = (s: string) => JSON.stringify(s);

/**
 * The query for one direction. Egress records run from the ENI's address to the peer's service port; return
 * records run from the peer's service port back to the ENI: each side is selected by the ENI's addresses, so
 * both fold into the same peer. `parse` follows the flow log's own LogFormat, default or custom. A v5 format's
 * `pkt-dst-aws-service` (egress) / `pkt-src-aws-service` (ingress) is grouped by too: it names the peer's AWS service.
 */
export function buildFlowQuery(
  format: FlowLogFormat,
  eniIds: readonly string[],
  eniAddresses: readonly string[],
  direction: 'egress' | 'ingress',
): string {
  if (format.interfaceId < 0)
    throw new SourceError('unsupported', 'the LogFormat has no ${interface-id}: Logs Insights cannot group by ENI');
  const names = format.names.map(field);
  const [local, remote, remotePort, remoteService] =
    direction === 'egress'
      ? ['srcaddr', 'dstaddr', 'dstport', 'pkt-dst-aws-service']
      : ['dstaddr', 'srcaddr', 'srcport', 'pkt-src-aws-service'];
  const byService = format.names.includes(remoteService) ? `, ${field(remoteService)} as service` : '';
  const start = format.start >= 0 ? 'start' : 'end';
  const end = format.end >= 0 ? 'end' : 'start';
  const sum = (name: string) => (format.names.includes(name) ? `sum(${field(name)})` : 'sum(0)');
  return [
    `parse @message ${quote(format.names.map(() => '*').join(' '))} as ${names.join(', ')}`,
    `| filter ${field('interface-id')} in [${eniIds.map(quote).join(', ')}]`,
    `  and ${field(local)} in [${eniAddresses.map(quote).join(', ')}]`,
    `  and ${field('action')} in ["ACCEPT", "REJECT"]`,
    `| fields floor(${field(start)} / 3600) as hour`,
    `| stats count(*) as flows, ${sum('packets')} as packets, ${sum('bytes')} as bytes, min(${field(start)}) as first, max(${field(end)}) as last` +
      ` by ${field('interface-id')} as eni, ${field(remote)} as remote, ${field(remotePort)} as port, ${field('protocol')} as protocol, ${field('action')} as action, hour${byService}`,
    `| limit ${INSIGHTS_ROW_LIMIT}`,
  ].join('\n');
}

export function rowsToAggregates(rows: readonly ResultField[][]): FlowAggregate[] {
  return flowRowsToAggregates(rows.map((row) => Object.fromEntries(row.map((f) => [f.field ?? '', f.value ?? '']))));
}

/** How long one query may run before it is stopped and the flow log read another way. */
export const DEFAULT_QUERY_BUDGET_MS = 15 * 60_000;

export interface InsightsOptions {
  /** The poll budget of one query (default 15 minutes); past it the query is stopped and fails as `Timeout`. */
  queryBudgetMs?: number;
  /** Told of each query run and the bytes it scanned (also counted on the clients' meter). */
  tally?: InsightsTally;
}

/** The queries a flow log's read ran and what they scanned, for its coverage. */
export interface InsightsTally {
  queries: number;
  bytesScanned: number;
}

/**
 * Runs one query to completion: polls with backoff, fails clearly when the service ends it (Failed, Timeout,
 * Cancelled by someone else) or when it outlives the poll budget. A query we started and that may still be
 * running (cancellation, our budget, a poll that failed) is stopped: it keeps costing until it does.
 */
export async function runQuery(
  c: AwsClients,
  logGroupName: string,
  query: string,
  start: number,
  end: number,
  signal: AbortSignal,
  options: InsightsOptions = {},
): Promise<ResultField[][]> {
  const started = await call(c, 'logs:StartQuery', 'logs', () =>
    c
      .logs()
      .send(
        new StartQueryCommand({ logGroupName, queryString: query, startTime: Math.floor(start / 1000), endTime: Math.ceil(end / 1000) }),
        { abortSignal: signal },
      ),
  );
  const queryId = started.queryId!;
  const deadline = Date.now() + (options.queryBudgetMs ?? DEFAULT_QUERY_BUDGET_MS);
  let ended = false;
  // Insights bills what a query scanned however it ends: its statistics grow with each poll, the last one counts.
  let bytesScanned = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      const wait = POLL_MS[Math.min(attempt, POLL_MS.length - 1)];
      if (Date.now() + wait > deadline) {
        throw new SourceError(
          'other',
          `Logs Insights query on ${logGroupName} did not complete within ${Math.round((options.queryBudgetMs ?? DEFAULT_QUERY_BUDGET_MS) / 1000)} s (stopped)`,
        );
      }
      await abortableSleep(wait, signal);
      const r = await call(c, 'logs:GetQueryResults', 'logs', () =>
        c.logs().send(new GetQueryResultsCommand({ queryId }), { abortSignal: signal }),
      );
      bytesScanned = r.statistics?.bytesScanned ?? bytesScanned;
      if (r.status === 'Complete') {
        ended = true;
        return r.results ?? [];
      }
      if (r.status === 'Failed' || r.status === 'Cancelled' || r.status === 'Timeout' || r.status === 'Unknown') {
        ended = true;
        const why =
          r.status === 'Cancelled'
            ? 'was cancelled (not by this scan)'
            : r.status === 'Timeout'
              ? 'timed out in CloudWatch Logs'
              : `ended ${r.status}`;
        throw new SourceError('other', `Logs Insights query on ${logGroupName} ${why}`);
      }
    }
  } finally {
    c.meter.bytesScanned(bytesScanned);
    if (options.tally) {
      options.tally.queries++;
      options.tally.bytesScanned += bytesScanned;
    }
    // Best effort, and not tied to the (maybe aborted) signal; the client's socket timeout bounds it.
    if (!ended)
      await c
        .logs()
        .send(new StopQueryCommand({ queryId }))
        .catch(() => undefined);
  }
}

/** Logs Insights refuses query strings over 10,000 characters: ENIs are asked for in batches that fit. */
const MAX_QUERY_CHARS = 9_000;

export function batchEnis(enis: ReadonlyArray<{ id: string; addresses: string[] }>): Array<Array<{ id: string; addresses: string[] }>> {
  const batches: Array<Array<{ id: string; addresses: string[] }>> = [];
  let current: Array<{ id: string; addresses: string[] }> = [];
  let size = 0;
  for (const eni of enis) {
    const cost = eni.id.length + 4 + eni.addresses.reduce((n, a) => n + a.length + 4, 0);
    if (current.length && size + cost > MAX_QUERY_CHARS - 1_500) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(eni);
    size += cost;
  }
  if (current.length) batches.push(current);
  return batches;
}

/** Both directions over [start, end), ENIs in batches, halving any range whose answer reached the row cap. */
export async function aggregateWithInsights(
  c: AwsClients,
  logGroupName: string,
  format: FlowLogFormat,
  enis: ReadonlyArray<{ id: string; addresses: string[] }>,
  start: number,
  end: number,
  signal: AbortSignal,
  options: InsightsOptions = {},
): Promise<FlowAggregate[]> {
  const out: FlowAggregate[] = [];
  for (const batch of batchEnis(enis)) {
    out.push(
      ...(await aggregateBatch(
        c,
        logGroupName,
        format,
        batch.map((e) => e.id),
        batch.flatMap((e) => e.addresses),
        start,
        end,
        signal,
        options,
      )),
    );
  }
  return out;
}

async function aggregateBatch(
  c: AwsClients,
  logGroupName: string,
  format: FlowLogFormat,
  eniIds: readonly string[],
  eniAddresses: readonly string[],
  start: number,
  end: number,
  signal: AbortSignal,
  options: InsightsOptions,
): Promise<FlowAggregate[]> {
  const out: FlowAggregate[] = [];
  for (const direction of ['egress', 'ingress'] as const) {
    const query = buildFlowQuery(format, eniIds, eniAddresses, direction);
    const ranges: Array<[number, number]> = [[start, end]];
    while (ranges.length) {
      const [a, b] = ranges.shift()!;
      const rows = await runQuery(c, logGroupName, query, a, b, signal, options);
      if (rows.length >= INSIGHTS_ROW_LIMIT && b - a > HOUR_MS) {
        const mid = a + Math.floor((b - a) / 2 / HOUR_MS) * HOUR_MS || a + Math.floor((b - a) / 2);
        ranges.unshift([a, mid], [mid, b]);
        continue;
      }
      out.push(...rowsToAggregates(rows));
    }
  }
  return out;
}

/**
 * What Logs Insights charges per GB of data scanned in most regions (US East, Europe): $0.005, from the CloudWatch
 * pricing page (https://aws.amazon.com/cloudwatch/pricing/, Logs › Logs Insights). Some regions charge more: the
 * estimate says "about".
 */
export const INSIGHTS_USD_PER_GB = 0.005;

/** The queries `aggregateWithInsights` runs over one range: two directions per batch of ENIs (a full answer splits the range, not the bytes). */
export function insightsQueryCount(enis: ReadonlyArray<{ id: string; addresses: string[] }>): number {
  return 2 * batchEnis(enis).length;
}

/** A log group as DescribeLogGroups says it: its stored bytes and the span they cover. */
export interface LogGroupSize {
  storedBytes: number;
  creationTime?: number;
  retentionInDays?: number;
}

/** The log group's size, or undefined when no group has exactly this name. Needs logs:DescribeLogGroups. */
export async function describeLogGroupSize(c: AwsClients, logGroupName: string, signal: AbortSignal): Promise<LogGroupSize | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await call(c, 'logs:DescribeLogGroups', 'logs', () =>
      c.logs().send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName, nextToken }), { abortSignal: signal }),
    );
    const group = (page.logGroups ?? []).find((g) => g.logGroupName === logGroupName);
    if (group)
      return {
        storedBytes: group.storedBytes ?? 0,
        ...(group.creationTime !== undefined ? { creationTime: group.creationTime } : {}),
        ...(group.retentionInDays !== undefined ? { retentionInDays: group.retentionInDays } : {}),
      };
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/**
 * The bytes `queries` queries over [start, end) scan, estimated from the group's stored bytes: the share of the
 * stored span (since the group's creation, or its retention) the range covers, as if the records were spread evenly.
 * storedBytes is what CloudWatch Logs keeps, which may differ from the bytes Insights bills: an estimate, said "about".
 */
export function estimateInsightsBytes(size: LogGroupSize, start: number, end: number, queries: number, now: number): number {
  const kept = size.retentionInDays ? now - size.retentionInDays * DAY_MS : -Infinity;
  const from = Math.max(size.creationTime ?? kept, kept);
  const span = now - from;
  const overlap = Math.max(0, Math.min(end, now) - Math.max(start, from));
  const share = Number.isFinite(span) && span > 0 ? Math.min(1, overlap / span) : 1;
  return Math.round(size.storedBytes * share) * queries;
}

/** `about $0.006`, `less than $0.001`. */
export function usdText(usd: number): string {
  if (usd < 0.001) return 'less than $0.001';
  return `about $${usd < 0.1 ? usd.toPrecision(1) : usd.toFixed(2)}`;
}

/** `Logs Insights on /vpc/flows: about 1.2 GB to scan in 2 queries (about $0.006)`. */
export function insightsEstimateText(logGroupName: string, bytes: number, queries: number): string {
  // Shown in the same GB as the bytes (formatBytes counts 1024s); the difference is inside "about".
  const usd = (bytes / 1024 ** 3) * INSIGHTS_USD_PER_GB;
  return `Logs Insights on ${logGroupName}: about ${formatBytes(bytes)} to scan in ${queries} ${queries === 1 ? 'query' : 'queries'} (${usdText(usd)})`;
}
