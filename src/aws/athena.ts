// Flow-log aggregation pushed into Athena: one query per scan over the window's partitions of the flow logs' table, and the query runner the CloudTrail table shares.
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetTableMetadataCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type Row,
} from '@aws-sdk/client-athena';
import type { FlowAggregate } from '../core/model';
import { SourceError } from '../core/ports';
import { flowRowsToAggregates } from '../core/query-rows';
export { formatBytes } from '../core/query-rows';
import { DAY_MS } from '../core/time';
import type { AwsClients } from './clients';
import { abortableSleep, call } from './fetch';

/** A table named `DATABASE.TABLE`, queried in a workgroup (its own results location and limits). */
export interface AthenaTable {
  database: string;
  table: string;
  /** Else the account's `primary` workgroup. */
  workgroup?: string;
}

/** Poll intervals: quick for the small answers, backing off for the long scans. */
const POLL_MS = [250, 500, 1000, 2000, 3000, 5000];
/** How long one Athena query may run before it is stopped. */
export const DEFAULT_ATHENA_BUDGET_MS = 15 * 60_000;
const RESULT_PAGE = 1000;

export interface AthenaAnswer {
  /** The rows, by column name, the header row taken off. */
  rows: Array<Record<string, string>>;
  /** What Athena billed for: the bytes it scanned. */
  dataScannedBytes: number;
  queryExecutionId: string;
}

export interface AthenaRunOptions {
  workgroup?: string;
  database: string;
  budgetMs?: number;
}

/**
 * Runs one query to completion: polls with back-off, reads every page of the results. A query this scan started and
 * that may still be running (cancelled, past its budget, a poll that failed) is stopped: it bills until it ends.
 */
export async function runAthenaQuery(c: AwsClients, sql: string, options: AthenaRunOptions, signal: AbortSignal): Promise<AthenaAnswer> {
  const started = await call(c, 'athena:StartQueryExecution', 'athena', () =>
    c.athena().send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        QueryExecutionContext: { Database: options.database },
        ...(options.workgroup ? { WorkGroup: options.workgroup } : {}),
      }),
      { abortSignal: signal },
    ),
  );
  const id = started.QueryExecutionId!;
  const budget = options.budgetMs ?? DEFAULT_ATHENA_BUDGET_MS;
  const deadline = Date.now() + budget;
  let ended = false;
  // Billed whether or not the query completes: what it scanned by its last poll is counted however it ends.
  let dataScannedBytes = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      const wait = POLL_MS[Math.min(attempt, POLL_MS.length - 1)];
      if (Date.now() + wait > deadline)
        throw new SourceError('other', `Athena query ${id} did not complete within ${Math.round(budget / 1000)} s (stopped)`);
      await abortableSleep(wait, signal);
      const r = await call(c, 'athena:GetQueryExecution', 'athena', () =>
        c.athena().send(new GetQueryExecutionCommand({ QueryExecutionId: id }), { abortSignal: signal }),
      );
      const state = r.QueryExecution?.Status?.State;
      dataScannedBytes = r.QueryExecution?.Statistics?.DataScannedInBytes ?? dataScannedBytes;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED') {
        ended = true;
        const reason = r.QueryExecution?.Status?.StateChangeReason;
        throw new SourceError(
          'other',
          `Athena query ${id} ${state === 'CANCELLED' ? 'was cancelled (not by this scan)' : 'failed'}${reason ? `: ${reason}` : ''}`,
        );
      }
    }
    ended = true;
    return { rows: await readResults(c, id, signal), dataScannedBytes, queryExecutionId: id };
  } finally {
    c.meter.bytesScanned(dataScannedBytes);
    // Best effort, not tied to the (maybe aborted) signal; the client's socket timeout bounds it.
    if (!ended)
      await Promise.resolve()
        .then(() => c.athena().send(new StopQueryExecutionCommand({ QueryExecutionId: id })))
        .catch(() => undefined);
  }
}

async function readResults(c: AwsClients, id: string, signal: AbortSignal): Promise<Array<Record<string, string>>> {
  const out: Array<Record<string, string>> = [];
  let names: string[] | undefined;
  let NextToken: string | undefined;
  let first = true;
  do {
    const page = await call(c, 'athena:GetQueryResults', 'athena', () =>
      c.athena().send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken, MaxResults: RESULT_PAGE }), { abortSignal: signal }),
    );
    names ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((col) => col.Name ?? '');
    const rows = page.ResultSet?.Rows ?? [];
    for (const [i, row] of rows.entries()) {
      const values = cells(row);
      // A SELECT's first page starts with the column names.
      if (first && i === 0 && names.length && values.every((v, j) => v === names![j])) continue;
      out.push(Object.fromEntries(names.map((n, j) => [n, values[j] ?? ''])));
    }
    first = false;
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

const cells = (row: Row): string[] => (row.Data ?? []).map((d) => d.VarCharValue ?? '');

/**
 * How a table is partitioned: by one date key (`dt` for flow logs, `timestamp` for a projected CloudTrail table), by
 * `year`/`month`/`day`[/`hour`] (the Hive-compatible layout and AWS's flow-log integration), or not.
 */
export type PartitionLayout =
  { kind: 'dt'; column: string; format: string; quoted: boolean } | { kind: 'ymd'; hour: boolean; quoted: boolean } | { kind: 'none' };

export interface TableShape {
  layout: PartitionLayout;
  /** The table's columns, lower case: the query uses the optional ones only when they are there. */
  columns: Set<string>;
}

/** The partition keys and columns from the catalog (athena:GetTableMetadata, which reads Glue's GetTable). */
export async function describeTable(c: AwsClients, table: AthenaTable, signal: AbortSignal): Promise<TableShape> {
  const r = await call(c, 'athena:GetTableMetadata', 'athena', () =>
    c.athena().send(new GetTableMetadataCommand({ CatalogName: 'AwsDataCatalog', DatabaseName: table.database, TableName: table.table }), {
      abortSignal: signal,
    }),
  );
  const meta = r.TableMetadata;
  const keys = (meta?.PartitionKeys ?? []).map((k) => ({ name: (k.Name ?? '').toLowerCase(), type: (k.Type ?? 'string').toLowerCase() }));
  const columns = new Set([...(meta?.Columns ?? []).map((col) => (col.Name ?? '').toLowerCase()), ...keys.map((k) => k.name)]);
  return { layout: layoutOf(keys, meta?.Parameters ?? {}), columns };
}

export function layoutOf(keys: ReadonlyArray<{ name: string; type: string }>, parameters: Record<string, string>): PartitionLayout {
  const key = (name: string) => keys.find((k) => k.name === name);
  // Partition projection says the date format; the documented tables use `yyyy-MM-dd` (flow logs' `dt`, of type date
  // too) and `yyyy/MM/dd` (CloudTrail's `timestamp`).
  for (const [column, format] of [
    ['dt', 'yyyy-MM-dd'],
    ['timestamp', 'yyyy/MM/dd'],
  ] as const) {
    const k = key(column);
    if (k) return { kind: 'dt', column, format: parameters[`projection.${column}.format`] ?? format, quoted: k.type !== 'date' };
  }
  const year = key('year');
  if (year && key('month') && key('day')) return { kind: 'ymd', hour: !!key('hour'), quoted: !/int/.test(year.type) };
  return { kind: 'none' };
}

const pad = (n: number) => String(n).padStart(2, '0');

function formatDate(format: string, d: Date): string {
  return format
    .replace('yyyy', String(d.getUTCFullYear()))
    .replace('MM', pad(d.getUTCMonth() + 1))
    .replace('dd', pad(d.getUTCDate()))
    .replace('HH', pad(d.getUTCHours()));
}

/** The UTC days that [start, end) touches. */
export function daysOf(start: number, end: number): Date[] {
  const out: Date[] = [];
  for (let t = Math.floor(start / DAY_MS) * DAY_MS; t < end; t += DAY_MS) out.push(new Date(t));
  return out;
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A predicate on the partition keys alone that selects the window's days, so that Athena reads (and bills) no other. */
export function partitionPredicate(layout: PartitionLayout, start: number, end: number): string | undefined {
  const days = daysOf(start, end);
  if (layout.kind === 'none' || days.length === 0) return undefined;
  if (layout.kind === 'dt') {
    const col = `"${layout.column}"`;
    if (!layout.quoted)
      return `${col} BETWEEN DATE ${lit(formatDate('yyyy-MM-dd', days[0]))} AND DATE ${lit(formatDate('yyyy-MM-dd', days[days.length - 1]))}`;
    if (layout.format.includes('HH')) {
      // An hourly projection: the range's bounds as the same strings compare in order.
      return `${col} >= ${lit(formatDate(layout.format, new Date(Math.floor(start / 3_600_000) * 3_600_000)))} AND ${col} <= ${lit(formatDate(layout.format, new Date(end)))}`;
    }
    return `${col} IN (${days.map((d) => lit(formatDate(layout.format, d))).join(', ')})`;
  }
  const v = (n: number, width: number) => (layout.quoted ? lit(String(n).padStart(width, '0')) : String(n));
  return (
    '(' +
    days
      .map((d) => `("year" = ${v(d.getUTCFullYear(), 4)} AND "month" = ${v(d.getUTCMonth() + 1, 2)} AND "day" = ${v(d.getUTCDate(), 2)})`)
      .join('\n  OR ') +
    ')'
  );
}

/**
 * The flow-log query: as the Logs Insights query (src/aws/insights.ts), egress records run from an ENI's own address to
 * the peer's port and return records from the peer's port back to it, each side selected by the ENIs' addresses, both
 * grouped by ENI, peer, port, protocol, action and hour (with the peer's AWS service from a v5 table). The columns are
 * the ones AWS's flow-log table DDL names (`interface_id`, `srcaddr`, `start`, `end`, `pkt_dst_aws_service`...).
 */
export function buildAthenaFlowQuery(
  table: AthenaTable,
  shape: TableShape,
  enis: ReadonlyArray<{ id: string; addresses: string[] }>,
  start: number,
  end: number,
): string {
  const ids = enis.map((e) => lit(e.id)).join(', ');
  const addresses = [...new Set(enis.flatMap((e) => e.addresses))].map(lit).join(', ');
  const partitions = partitionPredicate(shape.layout, start, end);
  const side = (direction: 'egress' | 'ingress') => {
    const [local, remote, port, service] =
      direction === 'egress'
        ? ['srcaddr', 'dstaddr', 'dstport', 'pkt_dst_aws_service']
        : ['dstaddr', 'srcaddr', 'srcport', 'pkt_src_aws_service'];
    const byService = shape.columns.has(service) ? `"${service}"` : "'-'";
    return [
      `SELECT "interface_id" AS eni, "${remote}" AS remote, "${port}" AS port, "protocol" AS protocol, "action" AS action,`,
      `  floor("start" / 3600) AS hour, ${byService} AS service,`,
      `  count(*) AS flows, sum("packets") AS packets, sum("bytes") AS bytes, min("start") AS first, max("end") AS last`,
      `FROM "${table.database}"."${table.table}"`,
      `WHERE ${partitions ? `${partitions}\n  AND ` : ''}"start" >= ${Math.floor(start / 1000)} AND "start" < ${Math.ceil(end / 1000)}`,
      `  AND "interface_id" IN (${ids})`,
      `  AND "${local}" IN (${addresses})`,
      `  AND "action" IN ('ACCEPT', 'REJECT')`,
      `GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    ].join('\n');
  };
  return `${side('egress')}\nUNION ALL\n${side('ingress')}`;
}

export interface AthenaFlowAnswer {
  rows: FlowAggregate[];
  dataScannedBytes: number;
  /** Raw rows as Athena returned them: `record` keeps these. */
  raw: Array<Record<string, string>>;
  sql: string;
}

/** The flow logs' table asked once: its layout from the catalog, then the aggregation over the window's partitions. */
export async function aggregateWithAthena(
  c: AwsClients,
  table: AthenaTable,
  enis: ReadonlyArray<{ id: string; addresses: string[] }>,
  start: number,
  end: number,
  signal: AbortSignal,
  budgetMs?: number,
): Promise<AthenaFlowAnswer> {
  if (enis.length === 0) return { rows: [], dataScannedBytes: 0, raw: [], sql: '' };
  const shape = await describeTable(c, table, signal);
  const sql = buildAthenaFlowQuery(table, shape, enis, start, end);
  const answer = await runAthenaQuery(c, sql, { database: table.database, workgroup: table.workgroup, budgetMs }, signal);
  return { rows: flowRowsToAggregates(answer.rows), dataScannedBytes: answer.dataScannedBytes, raw: answer.rows, sql };
}
