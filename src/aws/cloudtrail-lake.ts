// CloudTrail at scale: the functions' calls aggregated in one query where the trail is kept, a CloudTrail Lake event data store or an Athena table over the trail's bucket.
import { CancelQueryCommand, DescribeQueryCommand, GetQueryResultsCommand, StartQueryCommand } from '@aws-sdk/client-cloudtrail';
import type { TrailCallRow, TrailCallsRequest } from '../core/ports';
import { TRAIL_ROW_IDS, TRAIL_ROW_MESSAGES, trailRowsFromAnswer } from '../core/query-rows';
import { SourceError } from '../core/ports';
import { HOUR_MS } from '../core/time';
import { describeTable, partitionPredicate, runAthenaQuery, type AthenaTable } from './athena';
import type { AwsClients } from './clients';
import { abortableSleep, call } from './fetch';

const POLL_MS = [250, 500, 1000, 2000, 3000, 5000];
/** How long one Lake query may run before it is cancelled. */
export const DEFAULT_LAKE_BUDGET_MS = 15 * 60_000;

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
/** `2026-12-01 10:00:00` (Lake's timestamp literal) or `2026-12-01T10:00:00Z` (the trail's own eventTime text). */
const sqlTime = (t: number, iso: boolean) =>
  iso
    ? new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z')
    : new Date(t)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, '');

/** The columns both queries answer with, whatever their engine calls them. */
interface Columns {
  from: string;
  arn: string;
  type: string;
  eventSource: string;
  eventName: string;
  errorCode: string;
  errorMessage: string;
  eventId: string;
  /** The event's time as a timestamp, and as compared with the range. */
  time: string;
  timeFilter: (start: number, end: number) => string;
  extraWhere?: string;
}

/**
 * Grouped by role session (its ARN), call, error code and hour, the hours counted from `splitAt` so that no row spans
 * the detect window's start. Sessions are selected by name (`assumed-role/<role>/<function>`) as LookupEvents'
 * `Username` does; the engine judges the role.
 */
function buildTrailQuery(cols: Columns, request: TrailCallsRequest): string {
  const names = request.sessionNames.map(lit).join(', ');
  return [
    `SELECT ${cols.arn} AS arn, ${cols.eventSource} AS source, ${cols.eventName} AS name, ${cols.errorCode} AS error,`,
    `  floor((to_unixtime(${cols.time}) * 1000 - ${request.splitAt}) / ${HOUR_MS}) AS bucket,`,
    `  count(*) AS calls, to_unixtime(min(${cols.time})) AS first, to_unixtime(max(${cols.time})) AS last,`,
    `  array_join(slice(array_agg(${cols.eventId} ORDER BY ${cols.time} DESC), 1, ${TRAIL_ROW_IDS}), ',') AS ids,`,
    `  array_join(slice(array_agg(${cols.errorMessage}) FILTER (WHERE ${cols.errorMessage} IS NOT NULL), 1, ${TRAIL_ROW_MESSAGES}), '\\n') AS messages`,
    `FROM ${cols.from}`,
    `WHERE ${cols.extraWhere ? `${cols.extraWhere}\n  AND ` : ''}${cols.timeFilter(request.start, request.end)}`,
    `  AND ${cols.type} = 'AssumedRole'`,
    `  AND element_at(split(${cols.arn}, '/'), 3) IN (${names})`,
    `GROUP BY 1, 2, 3, 4, 5`,
  ].join('\n');
}

/** The Lake query: the event data store is the table; eventTime is a timestamp. */
export function buildLakeQuery(eventDataStore: string, request: TrailCallsRequest): string {
  return buildTrailQuery(
    {
      from: eventDataStore,
      arn: 'userIdentity.arn',
      type: 'userIdentity.type',
      eventSource: 'eventSource',
      eventName: 'eventName',
      errorCode: 'errorCode',
      errorMessage: 'errorMessage',
      eventId: 'eventID',
      time: 'eventTime',
      timeFilter: (s, e) => `eventTime >= ${lit(sqlTime(s, false))} AND eventTime < ${lit(sqlTime(e, false))}`,
    },
    request,
  );
}

/**
 * The Athena query over the standard CloudTrail table (AWS's DDL: `useridentity` a struct, `eventtime` ISO text), its
 * partitions (`timestamp` projected, or `year`/`month`/`day`) pruned to the range.
 */
export function buildCloudTrailAthenaQuery(table: AthenaTable, partitions: string | undefined, request: TrailCallsRequest): string {
  return buildTrailQuery(
    {
      from: `"${table.database}"."${table.table}"`,
      arn: 'useridentity.arn',
      type: 'useridentity.type',
      eventSource: 'eventsource',
      eventName: 'eventname',
      errorCode: 'errorcode',
      errorMessage: 'errormessage',
      eventId: 'eventid',
      time: 'from_iso8601_timestamp(eventtime)',
      // The trail writes eventTime as `YYYY-MM-DDTHH:MM:SSZ`: as text it compares in time order, without a parse per row.
      timeFilter: (s, e) => `eventtime >= ${lit(sqlTime(s, true))} AND eventtime < ${lit(sqlTime(e, true))}`,
      ...(partitions ? { extraWhere: partitions } : {}),
    },
    request,
  );
}

export interface TrailAnswer {
  rows: TrailCallRow[];
  /** As returned, for `record`. */
  raw: Array<Record<string, string>>;
  bytesScanned: number;
  sql: string;
}

/**
 * One Lake query to completion: polled with back-off, every results page read. A query this scan started that may
 * still run (cancelled, past its budget, a poll that failed) is cancelled: Lake bills the bytes it scans.
 */
export async function trailCallsFromLake(
  c: AwsClients,
  eventDataStore: string,
  request: TrailCallsRequest,
  signal: AbortSignal,
  budgetMs = DEFAULT_LAKE_BUDGET_MS,
): Promise<TrailAnswer> {
  const sql = buildLakeQuery(eventDataStore, request);
  const started = await call(c, 'cloudtrail:StartQuery', 'cloudtrail', () =>
    c.cloudtrail().send(new StartQueryCommand({ QueryStatement: sql }), { abortSignal: signal }),
  );
  const QueryId = started.QueryId!;
  const deadline = Date.now() + budgetMs;
  let ended = false;
  // Lake bills what the query scanned however it ends: counted from its last statistics.
  let bytesScanned = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      const wait = POLL_MS[Math.min(attempt, POLL_MS.length - 1)];
      if (Date.now() + wait > deadline)
        throw new SourceError(
          'other',
          `CloudTrail Lake query ${QueryId} did not complete within ${Math.round(budgetMs / 1000)} s (cancelled)`,
        );
      await abortableSleep(wait, signal);
      const d = await call(c, 'cloudtrail:DescribeQuery', 'cloudtrail', () =>
        c.cloudtrail().send(new DescribeQueryCommand({ QueryId }), { abortSignal: signal }),
      );
      bytesScanned = d.QueryStatistics?.BytesScanned ?? bytesScanned;
      if (d.QueryStatus === 'FINISHED') break;
      if (d.QueryStatus === 'FAILED' || d.QueryStatus === 'CANCELLED' || d.QueryStatus === 'TIMED_OUT') {
        ended = true;
        const why =
          d.QueryStatus === 'CANCELLED'
            ? 'was cancelled (not by this scan)'
            : d.QueryStatus === 'TIMED_OUT'
              ? 'timed out in CloudTrail Lake'
              : 'failed';
        throw new SourceError('other', `CloudTrail Lake query ${QueryId} ${why}${d.ErrorMessage ? `: ${d.ErrorMessage}` : ''}`);
      }
    }
    ended = true;
    const raw: Array<Record<string, string>> = [];
    let NextToken: string | undefined;
    do {
      const page = await call(c, 'cloudtrail:GetQueryResults', 'cloudtrail', () =>
        c.cloudtrail().send(new GetQueryResultsCommand({ QueryId, NextToken, MaxQueryResults: 1000 }), { abortSignal: signal }),
      );
      bytesScanned = page.QueryStatistics?.BytesScanned ?? bytesScanned;
      // Each row is a list of one-entry maps, column name to text.
      for (const row of page.QueryResultRows ?? []) raw.push(Object.assign({}, ...row) as Record<string, string>);
      NextToken = page.NextToken;
    } while (NextToken);
    return { rows: trailRowsFromAnswer(raw), raw, bytesScanned, sql };
  } finally {
    c.meter.bytesScanned(bytesScanned);
    if (!ended)
      await Promise.resolve()
        .then(() => c.cloudtrail().send(new CancelQueryCommand({ QueryId })))
        .catch(() => undefined);
  }
}

/** The trail's Athena table asked once: its partitions from the catalog, then the aggregation over the range's. */
export async function trailCallsFromAthena(
  c: AwsClients,
  table: AthenaTable,
  request: TrailCallsRequest,
  signal: AbortSignal,
  budgetMs?: number,
): Promise<TrailAnswer> {
  const shape = await describeTable(c, table, signal);
  const sql = buildCloudTrailAthenaQuery(table, partitionPredicate(shape.layout, request.start, request.end), request);
  const answer = await runAthenaQuery(c, sql, { database: table.database, workgroup: table.workgroup, budgetMs }, signal);
  return { rows: trailRowsFromAnswer(answer.rows), raw: answer.rows, bytesScanned: answer.dataScannedBytes, sql };
}
