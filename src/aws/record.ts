// `lambda-behavior record`: an account's API responses written as a scenario directory (format v1) that `scan --scenario` replays.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { functionFromAws, networkInterfaceFromAws } from '../core/aws-shapes';
import type { FlowLogConfig } from '../core/model';
import { mapLambdaEnis } from '../core/inventory/enis';
import { METRIC_NAMES, toIso } from '../core/model';
import { SourceError } from '../core/ports';
import { scanWindows } from '../core/scan';
import { SOURCE_CALLS } from '../core/scan/attempts';
import { DEPLOY_LOOKBACK_MS, TRAIL_RETENTION_MS } from '../core/scan/eni-history';
import { ENI_EVENT_NAMES, FUNCTION_CHANGE_EVENT_NAMES } from '../core/trail/management';
import { Redactor } from '../report/redact';
import type { AwsClients } from './clients';
import {
  fetchCallerIdentity,
  fetchEventsByName,
  fetchFlowLogs,
  fetchFlowRecords,
  fetchFunctions,
  flowLogConfigFromAws,
  fetchMetricData,
  fetchNetworkInterfaces,
  fetchTags,
  fetchTrailEvents,
  RateLimiter,
} from './fetch';
import { loadIpRanges, type IpRangesOptions } from './ip-ranges';
import { aggregateWithAthena, type AthenaTable } from './athena';
import { trailCallsFromAthena, trailCallsFromLake } from './cloudtrail-lake';
import { destinationOf, getObjectBody, listFlowLogObjects, parquetAsText } from './s3-flow-logs';

/** The IAM reads and their SDK live in their own bundle (dist/aws-iam.js), loaded when a recording reaches them. */
function loadAwsIam(): typeof import('./iam') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./iam') as typeof import('./iam');
}

/** Names of the optional query recordings in scenario.json's failures, when their query failed (the replay then reads the records). */
export const ATHENA_FLOWS_RECORDED = 'athena (flow logs)';
export const TRAIL_ROWS_RECORDED = 'cloudtrail (aggregated)';

export interface RecordOptions {
  out: string;
  functions?: string[];
  baselineDays: number;
  detectHours: number;
  /** Replace account ids and public addresses, consistently, in every file. */
  redact?: boolean;
  now?: number;
  /** Where AWS's ip-ranges document comes from (default AWS's published URL): recorded as `ip-ranges.json`. */
  ipRanges?: IpRangesOptions;
  /** The flow logs' Athena table: its aggregate rows recorded as returned (`athena/flow-rows.json`), beside the raw records. */
  flowLogsAthena?: AthenaTable;
  /** The trail in a Lake event data store or an Athena table: its aggregate rows recorded as returned (`cloudtrail-lake/rows.json`). */
  cloudTrailLake?: string;
  cloudTrailAthena?: AthenaTable;
  onProgress?: (message: string) => void;
}

export interface RecordSummary {
  dir: string;
  functions: number;
  enis: number;
  flowRecords: number;
  events: number;
  failures: Record<string, string>;
  /** Where the recorded `ip-ranges.json` came from; undefined when none was had (`notices` says why). */
  ipRangesFrom?: string;
  /** What the user should know that failed no source: no ip-ranges document, or a stale copy of it recorded. */
  notices: string[];
}

export async function recordScenario(c: AwsClients, options: RecordOptions, signal: AbortSignal): Promise<RecordSummary> {
  const progress = options.onProgress ?? (() => undefined);
  const now = options.now ?? Date.now();
  const w = scanWindows(now, options.baselineDays, options.detectHours);
  const redactor = options.redact ? new Redactor() : undefined;
  const write = (rel: string, value: unknown) => {
    const file = path.join(options.out, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = JSON.stringify(value, null, 1);
    fs.writeFileSync(file, redactor ? redactor.text(text) : text);
  };

  progress('Reading the account');
  const account = await fetchCallerIdentity(c, signal);
  let functions = await fetchFunctions(c, signal);
  const wanted = options.functions?.length ? new Set(options.functions) : undefined;
  const tags = await fetchTags(c, functions.map((f) => f.FunctionArn ?? '').filter(Boolean), signal);
  const vpcIds = [...new Set(functions.map((f) => f.VpcConfig?.VpcId).filter((v): v is string => !!v))];
  const enis = functions.some((f) => f.VpcConfig?.SubnetIds?.length) ? await fetchNetworkInterfaces(c, vpcIds, signal) : [];
  const lambdaEnis = mapLambdaEnis(
    enis.map(networkInterfaceFromAws),
    functions.map((f) => functionFromAws(f)),
  );
  if (wanted) {
    // Keep the functions asked for and those sharing an ENI with them: attribution needs the sharers.
    const keep = new Set(wanted);
    for (const l of lambdaEnis) if (l.functions.some((f) => wanted.has(f))) for (const f of l.functions) keep.add(f);
    functions = functions.filter((f) => keep.has(f.FunctionName ?? ''));
  }
  const names = functions.map((f) => f.FunctionName ?? '');
  const keptEnis = lambdaEnis.filter((l) => l.functions.some((f) => names.includes(f)));
  const resourceIds = [
    ...vpcIds,
    ...keptEnis.map((l) => l.eni.vpcId),
    ...functions.flatMap((f) => f.VpcConfig?.SubnetIds ?? []),
    ...keptEnis.map((l) => l.eni.id),
  ];
  const flowLogs = resourceIds.length ? await fetchFlowLogs(c, resourceIds, signal) : [];

  const scenario = {
    formatVersion: 1,
    accountId: account.accountId,
    region: account.region,
    recordedAt: toIso(w.detectEnd),
    description: `recorded by lambda-behavior: ${names.length} function(s), baseline ${options.baselineDays} days, detection ${options.detectHours} hours`,
  };
  write('scenario.json', scenario);
  /** Sources that failed while recording, by IAM action (or flow log): written into scenario.json. */
  const failures: Record<string, string> = {};
  async function failingAlone<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (err) {
      if (!SourceError.is(err)) throw err;
      failures[what] = err.message;
      progress(`${what} not recorded: ${err.message}`);
      return undefined;
    }
  }
  write('lambda/list-functions.json', { Functions: functions });
  write('lambda/tags.json', Object.fromEntries(functions.map((f) => [f.FunctionArn, tags[f.FunctionArn ?? ''] ?? {}])));
  write('ec2/describe-network-interfaces.json', { NetworkInterfaces: enis });
  write('ec2/describe-flow-logs.json', { FlowLogs: flowLogs });

  progress("Reading the functions' roles and security groups");
  // The IAM answers `permissions --scenario` replays: optional files, each denied read a failure the replay repeats.
  const { recordPermissions, withIam } = loadAwsIam();
  const iam = withIam(c);
  try {
    const permissions = await recordPermissions(
      iam,
      {
        roleArns: [...new Set(functions.map((f) => f.Role).filter((r): r is string => !!r))],
        securityGroupIds: [...new Set(functions.flatMap((f) => f.VpcConfig?.SecurityGroupIds ?? []))].sort(),
      },
      write,
      signal,
    );
    for (const [action, message] of Object.entries(permissions.failures)) {
      failures[action] ??= message;
      progress(`${action} not recorded: ${message}`);
    }
  } finally {
    iam.destroy();
  }

  progress('Reading flow logs');
  let flowRecords = 0;
  fs.mkdirSync(path.join(options.out, 'flowlogs'), { recursive: true });
  for (const raw of flowLogs) {
    const flowLog = flowLogConfigFromAws(raw);
    if (flowLog.destinationType === 's3') {
      const client = c.s3();
      await failingAlone(`flow log ${flowLog.id}`, async () => {
        flowRecords += await recordS3Objects(
          client,
          flowLog,
          account,
          { start: w.baselineStart, end: w.detectEnd },
          options.out,
          redactor,
          signal,
        );
      });
      continue;
    }
    if (flowLog.destinationType !== 'cloud-watch-logs' || !flowLog.logGroupName) continue;
    const covered = keptEnis.filter((l) => [l.eni.id, l.eni.subnetId, l.eni.vpcId].includes(flowLog.resourceId));
    const group = flowLog.logGroupName;
    async function* lines(): AsyncGenerator<Buffer> {
      for (const l of covered) {
        for await (const chunk of fetchFlowRecords(c, group, l.eni.id, w.baselineStart, w.detectEnd, signal)) {
          const text = Buffer.from(chunk).toString('utf8');
          flowRecords += text.split('\n').length - 1;
          yield Buffer.from(redactor ? redactor.text(text) : text, 'utf8');
        }
      }
    }
    const file = path.join(options.out, 'flowlogs', `${flowLog.id}.log.gz`);
    await failingAlone(`flow log ${flowLog.id}`, () =>
      pipeline(Readable.from(lines()), zlib.createGzip(), fs.createWriteStream(file), { signal }),
    );
  }

  if (options.flowLogsAthena) {
    const table = options.flowLogsAthena;
    progress("Querying the flow logs' Athena table");
    const enisAsked = keptEnis.map((l) => ({ id: l.eni.id, addresses: [...l.eni.privateIps, ...l.eni.ipv6Ips] }));
    await failingAlone(ATHENA_FLOWS_RECORDED, async () => {
      const answer = await aggregateWithAthena(c, table, enisAsked, w.baselineStart, w.detectEnd, signal);
      write('athena/flow-rows.json', {
        table: `${table.database}.${table.table}`,
        dataScannedBytes: answer.dataScannedBytes,
        sql: answer.sql,
        rows: answer.raw,
      });
    });
  }

  if (options.cloudTrailLake || options.cloudTrailAthena) {
    progress('Querying the trail');
    const request = { start: w.baselineStart, end: w.detectEnd, sessionNames: names, splitAt: w.detectStart };
    const lake = options.cloudTrailLake;
    const table = options.cloudTrailAthena;
    await failingAlone(TRAIL_ROWS_RECORDED, async () => {
      const answer = lake ? await trailCallsFromLake(c, lake, request, signal) : await trailCallsFromAthena(c, table!, request, signal);
      const from = lake ? `CloudTrail Lake event data store ${lake}` : `Athena table ${table!.database}.${table!.table}`;
      write('cloudtrail-lake/rows.json', { from, bytesScanned: answer.bytesScanned, sql: answer.sql, rows: answer.raw });
    });
  }

  progress('Reading CloudTrail');
  const events: unknown[] = [];
  const limiter = new RateLimiter(500);
  await failingAlone('cloudtrail:LookupEvents', async () => {
    for (const name of names) {
      for await (const page of fetchTrailEvents(c, name, w.baselineStart, w.detectEnd, limiter, signal)) events.push(...page);
    }
  });
  // The management events a scan reads by name, over the ranges it reads them: ENI lifetimes (all 90 days CloudTrail
  // keeps, for VPC functions only) and function changes (the windows and the day before). Each event once.
  const byName = async (what: string, names: readonly string[], start: number) => {
    await failingAlone(what, async () => {
      for (const name of names) {
        for await (const page of fetchEventsByName(c, name, start, w.detectEnd, limiter, signal)) events.push(...page);
      }
    });
  };
  if (functions.some((f) => f.VpcConfig?.SubnetIds?.length))
    await byName(SOURCE_CALLS.eniEvents, ENI_EVENT_NAMES, w.detectEnd - TRAIL_RETENTION_MS);
  await byName(SOURCE_CALLS.functionChanges, FUNCTION_CHANGE_EVENT_NAMES, w.baselineStart - DEPLOY_LOOKBACK_MS);
  const seen = new Set<string>();
  const unique = events.filter((e) => {
    const id = (e as { EventId?: string }).EventId;
    if (id === undefined) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  write('cloudtrail/lookup-events.json', { Events: unique });

  progress('Reading metrics');
  const metrics = (await failingAlone('cloudwatch:GetMetricData', () =>
    fetchMetricData(c, names, METRIC_NAMES, w.baselineStart, w.detectEnd, 3600, signal),
  )) ?? { MetricDataQueries: [], MetricDataResults: [] };
  write('cloudwatch/get-metric-data.json', { StartTime: toIso(w.baselineStart), EndTime: toIso(w.detectEnd), ...metrics });

  progress("Reading AWS's ip-ranges document");
  const ipRanges = await loadIpRanges(options.ipRanges ?? {}, signal);
  if (ipRanges.document) {
    // AWS's public data, not the account's: kept as published. (A redacted recording's public peers are stand-ins in
    // documentation ranges, which it names as nothing: only an unredacted replay names AWS services as the live scan did.)
    fs.writeFileSync(path.join(options.out, 'ip-ranges.json'), JSON.stringify(ipRanges.document, null, 1));
  }

  // A replay must fail where the recording did, or it would report "nothing happened" instead of "not read".
  write('scenario.json', { ...scenario, ...(Object.keys(failures).length ? { failures } : {}) });
  return {
    dir: options.out,
    functions: names.length,
    enis: keptEnis.length,
    flowRecords,
    events: unique.length,
    failures,
    ...(ipRanges.from ? { ipRangesFrom: ipRanges.from } : {}),
    notices: ipRanges.notices,
  };
}

/**
 * A flow log's S3 objects in the windows, under `flowlogs-s3/<key>` as delivered (gzip text with its header line). A
 * Parquet object is kept as the gzip text it reads as (`<key>.log.gz` in place of `.parquet`): the replay reads no Parquet.
 * A redacted recording rewrites each object's text, and its key. Returns the records written.
 */
async function recordS3Objects(
  s3: S3Client,
  flowLog: FlowLogConfig,
  account: { accountId: string; region: string },
  range: { start: number; end: number },
  out: string,
  redactor: Redactor | undefined,
  signal: AbortSignal,
): Promise<number> {
  const { bucket } = destinationOf(flowLog);
  let records = 0;
  for (const object of await listFlowLogObjects(s3, flowLog, account, range, signal)) {
    const body = await getObjectBody(s3, bucket, object.key, signal);
    const key = object.fileFormat === 'parquet' ? object.key.replace(/\.parquet$/, '.log.gz') : object.key;
    const file = path.join(
      out,
      'flowlogs-s3',
      ...(redactor ? redactor.text(key) : key).split('/').filter((p) => p && p !== '..' && p !== '.'),
    );
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let text: string;
    if (object.fileFormat === 'parquet') {
      const parts: Buffer[] = [];
      for await (const chunk of body) parts.push(chunk as Buffer);
      const all = Buffer.concat(parts);
      const parquet = await parquetAsText(
        all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer,
        `s3://${bucket}/${object.key}`,
      );
      const lines: Buffer[] = [];
      for await (const chunk of parquet.chunks) lines.push(Buffer.from(chunk));
      const header = parquet.logFormat.replace(/\$\{([^}]+)\}/g, '$1');
      text = `${header}\n${Buffer.concat(lines).toString('latin1')}`;
    } else if (redactor) {
      const parts: Buffer[] = [];
      for await (const chunk of body.pipe(zlib.createGunzip())) parts.push(chunk as Buffer);
      text = Buffer.concat(parts).toString('utf8');
    } else {
      // As delivered, byte for byte.
      await pipeline(body, fs.createWriteStream(file), { signal });
      const parts: Buffer[] = [];
      for await (const chunk of fs.createReadStream(file).pipe(zlib.createGunzip())) parts.push(chunk as Buffer);
      records += recordLines(Buffer.concat(parts).toString('latin1'));
      continue;
    }
    records += recordLines(text);
    fs.writeFileSync(file, zlib.gzipSync(redactor ? redactor.text(text) : text));
  }
  return records;
}

/** Records in an object's text: its lines less the header. */
function recordLines(text: string): number {
  const lines = text.split('\n').filter((l) => l.length > 0).length;
  return Math.max(0, lines - 1);
}
