// Raw AWS reads, all pages, as the SDK returns them: the live source maps them like a replay, and `record` writes them as a scenario.
import { LookupEventsCommand, type Event as TrailEventRaw } from '@aws-sdk/client-cloudtrail';
import { GetMetricDataCommand, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeFlowLogsCommand, DescribeNetworkInterfacesCommand, type FlowLog, type NetworkInterface } from '@aws-sdk/client-ec2';
import { ListFunctionsCommand, ListTagsCommand, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { flowLogFromAws } from '../core/aws-shapes';
import { METRIC_STAT, type FlowLogConfig, type MetricName } from '../core/model';
import { DAY_MS } from '../core/time';
import type { AwsClients } from './clients';
import { classifyAwsError } from './errors';

/** Sends one request, sorting its failure into a SourceError that names the IAM action. */
export async function call<T>(clients: AwsClients, action: string, endpoint: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    throw classifyAwsError(err, action, endpoint, clients.profile);
  }
}

/** EC2 filters take at most 200 values. */
function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function fetchCallerIdentity(c: AwsClients, signal: AbortSignal): Promise<{ accountId: string; region: string }> {
  const r = await call(c, 'sts:GetCallerIdentity', 'sts', () => c.sts().send(new GetCallerIdentityCommand({}), { abortSignal: signal }));
  return { accountId: r.Account ?? '', region: await c.region() };
}

export async function fetchFunctions(c: AwsClients, signal: AbortSignal): Promise<FunctionConfiguration[]> {
  const out: FunctionConfiguration[] = [];
  let Marker: string | undefined;
  do {
    const page = await call(c, 'lambda:ListFunctions', 'lambda', () =>
      c.lambda().send(new ListFunctionsCommand({ Marker, MaxItems: 50 }), { abortSignal: signal }),
    );
    out.push(...(page.Functions ?? []));
    Marker = page.NextMarker;
  } while (Marker);
  return out;
}

/** Tags per function ARN, a few requests at a time; a function whose tags cannot be read has none. */
export async function fetchTags(
  c: AwsClients,
  arns: readonly string[],
  signal: AbortSignal,
): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  const queue = [...arns];
  let failed = false;
  const worker = async () => {
    // Once one request has failed the answer is lost anyway: the other workers send nothing more.
    for (let arn = queue.shift(); arn !== undefined && !failed; arn = queue.shift()) {
      const Resource = arn;
      try {
        const r = await call(c, 'lambda:ListTags', 'lambda', () =>
          c.lambda().send(new ListTagsCommand({ Resource }), { abortSignal: signal }),
        );
        out[arn] = r.Tags ?? {};
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
  return out;
}

async function describeNetworkInterfaces(
  c: AwsClients,
  filter: { Name: string; Values: string[] },
  signal: AbortSignal,
): Promise<NetworkInterface[]> {
  const out: NetworkInterface[] = [];
  for (const batch of batches(filter.Values, 200)) {
    let NextToken: string | undefined;
    do {
      const page = await call(c, 'ec2:DescribeNetworkInterfaces', 'ec2', () =>
        c
          .ec2()
          .send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: filter.Name, Values: batch }], NextToken, MaxResults: 1000 }), {
            abortSignal: signal,
          }),
      );
      out.push(...(page.NetworkInterfaces ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return out;
}

/**
 * The Lambda ENIs (by type, and by description for ENIs older than Hyperplane), then every ENI in their VPCs
 * and the functions' VPCs: everything a function may talk to, for naming peers.
 */
export async function fetchNetworkInterfaces(c: AwsClients, vpcIds: readonly string[], signal: AbortSignal): Promise<NetworkInterface[]> {
  const lambdaEnis = [
    ...(await describeNetworkInterfaces(c, { Name: 'interface-type', Values: ['lambda'] }, signal)),
    ...(await describeNetworkInterfaces(c, { Name: 'description', Values: ['AWS Lambda VPC ENI*'] }, signal)),
  ];
  const vpcs = [...new Set([...vpcIds, ...lambdaEnis.map((e) => e.VpcId).filter((v): v is string => !!v)])];
  const all = vpcs.length ? await describeNetworkInterfaces(c, { Name: 'vpc-id', Values: vpcs }, signal) : [];
  const seen = new Set(all.map((e) => e.NetworkInterfaceId));
  return [...all, ...lambdaEnis.filter((e) => !seen.has(e.NetworkInterfaceId) && seen.add(e.NetworkInterfaceId))];
}

/** Flow logs attached to any of these resources (VPCs, subnets, ENIs). */
export async function fetchFlowLogs(c: AwsClients, resourceIds: readonly string[], signal: AbortSignal): Promise<FlowLog[]> {
  const out: FlowLog[] = [];
  for (const batch of batches([...new Set(resourceIds)], 200)) {
    let NextToken: string | undefined;
    do {
      const page = await call(c, 'ec2:DescribeFlowLogs', 'ec2', () =>
        c.ec2().send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: batch }], NextToken, MaxResults: 1000 }), {
          abortSignal: signal,
        }),
      );
      out.push(...(page.FlowLogs ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return out;
}

/**
 * A flow log as the engine models it, with its S3 delivery options (file format, Hive-compatible and per-hour
 * partitions), which the S3 reader needs to find its objects.
 */
export function flowLogConfigFromAws(raw: FlowLog): FlowLogConfig {
  const o = raw.DestinationOptions;
  const destinationOptions = o && {
    ...(o.FileFormat ? { fileFormat: o.FileFormat } : {}),
    ...(o.HiveCompatiblePartitions !== undefined ? { hiveCompatiblePartitions: o.HiveCompatiblePartitions } : {}),
    ...(o.PerHourPartition !== undefined ? { perHourPartition: o.PerHourPartition } : {}),
  };
  return { ...flowLogFromAws(raw), ...(destinationOptions ? { destinationOptions } : {}) };
}

/**
 * Raw flow records of one ENI from a CloudWatch Logs flow log, one chunk of lines per page. Flow logs write
 * one log stream per ENI, named after it (`eni-...-all`), so the stream prefix selects the ENI server-side.
 */
export async function* fetchFlowRecords(
  c: AwsClients,
  logGroupName: string,
  eniId: string,
  start: number,
  end: number,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  let nextToken: string | undefined;
  do {
    const page = await call(c, 'logs:FilterLogEvents', 'logs', () =>
      c.logs().send(new FilterLogEventsCommand({ logGroupName, logStreamNamePrefix: eniId, startTime: start, endTime: end, nextToken }), {
        abortSignal: signal,
      }),
    );
    const lines = (page.events ?? []).map((e) => e.message ?? '').filter((m) => m.length > 0);
    // What the page brought of records: the messages' bytes (the page's JSON around them is not counted).
    c.meter.bytesDownloaded(lines.reduce((n, line) => n + Buffer.byteLength(line, 'utf8'), 0));
    if (lines.length) yield Buffer.from(lines.join('\n') + '\n', 'utf8');
    nextToken = page.nextToken;
  } while (nextToken);
}

/** CloudTrail allows 2 LookupEvents requests a second per account and region: callers share one of these. */
export class RateLimiter {
  private next = 0;

  constructor(private readonly intervalMs: number) {}

  async wait(signal: AbortSignal): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    if (at > now) await abortableSleep(at - now, signal);
  }
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** LookupEvents caps at 90 days back. */
export const TRAIL_MAX_AGE_MS = 90 * DAY_MS;

/** Events whose `Username` (the assumed-role session name) is the function's name, page by page. */
export function fetchTrailEvents(
  c: AwsClients,
  username: string,
  start: number,
  end: number,
  limiter: RateLimiter,
  signal: AbortSignal,
): AsyncGenerator<TrailEventRaw[]> {
  return lookupEvents(c, { AttributeKey: 'Username', AttributeValue: username }, start, end, limiter, signal);
}

/** Events of one name by any identity (`CreateNetworkInterface`, `UpdateFunctionCode20150331v2`), page by page. */
export function fetchEventsByName(
  c: AwsClients,
  eventName: string,
  start: number,
  end: number,
  limiter: RateLimiter,
  signal: AbortSignal,
): AsyncGenerator<TrailEventRaw[]> {
  return lookupEvents(c, { AttributeKey: 'EventName', AttributeValue: eventName }, start, end, limiter, signal);
}

/** LookupEvents takes one lookup attribute a request; it reaches back 90 days at most, whatever is asked. */
async function* lookupEvents(
  c: AwsClients,
  attribute: { AttributeKey: 'Username' | 'EventName'; AttributeValue: string },
  start: number,
  end: number,
  limiter: RateLimiter,
  signal: AbortSignal,
): AsyncGenerator<TrailEventRaw[]> {
  const StartTime = new Date(Math.max(start, Date.now() - TRAIL_MAX_AGE_MS));
  const EndTime = new Date(end);
  let NextToken: string | undefined;
  do {
    await limiter.wait(signal);
    const page = await call(c, 'cloudtrail:LookupEvents', 'cloudtrail', () =>
      c.cloudtrail().send(new LookupEventsCommand({ LookupAttributes: [attribute], StartTime, EndTime, NextToken, MaxResults: 50 }), {
        abortSignal: signal,
      }),
    );
    yield page.Events ?? [];
    NextToken = page.NextToken;
  } while (NextToken);
}

/** GetMetricData for every function and metric: up to 500 queries a request, all pages, results merged by id. */
export async function fetchMetricData(
  c: AwsClients,
  functionNames: readonly string[],
  metrics: readonly MetricName[],
  start: number,
  end: number,
  periodSeconds: number,
  signal: AbortSignal,
): Promise<{ MetricDataQueries: MetricDataQuery[]; MetricDataResults: MetricDataResult[] }> {
  const queries: MetricDataQuery[] = functionNames.flatMap((fn, i) =>
    metrics.map((metric, j) => ({
      Id: `m${i * metrics.length + j}`,
      MetricStat: {
        Metric: { Namespace: 'AWS/Lambda', MetricName: metric, Dimensions: [{ Name: 'FunctionName', Value: fn }] },
        Period: periodSeconds,
        Stat: METRIC_STAT[metric],
      },
      ReturnData: true,
    })),
  );
  const results = new Map<string, MetricDataResult>();
  for (const batch of batches(queries, 500)) {
    let NextToken: string | undefined;
    do {
      const page = await call(c, 'cloudwatch:GetMetricData', 'monitoring', () =>
        c.cloudwatch().send(
          new GetMetricDataCommand({
            MetricDataQueries: batch,
            StartTime: new Date(start),
            EndTime: new Date(end),
            ScanBy: 'TimestampDescending',
            NextToken,
          }),
          { abortSignal: signal },
        ),
      );
      for (const r of page.MetricDataResults ?? []) {
        const seen = results.get(r.Id ?? '');
        if (!seen) results.set(r.Id ?? '', { ...r, Timestamps: [...(r.Timestamps ?? [])], Values: [...(r.Values ?? [])] });
        else {
          seen.Timestamps!.push(...(r.Timestamps ?? []));
          seen.Values!.push(...(r.Values ?? []));
        }
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return { MetricDataQueries: queries, MetricDataResults: [...results.values()] };
}
