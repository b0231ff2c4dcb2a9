// Maps AWS API response shapes (SDK v3 JSON: PascalCase, ISO dates) to the engine's model. Shared by replay and live.
// The types here are structural copies of the few fields read, so the engine never imports the SDK.
import type { FlowLogConfig, LambdaFunction, MetricName, MetricSeries, NetworkInterface, TrailEvent } from './model';
import { METRIC_NAMES } from './model';

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const time = (v: unknown): number | undefined => {
  const s = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(s) ? s : undefined;
};

export class ShapeError extends Error {}

function required(o: Json, key: string, what: string): string {
  const v = str(o[key]);
  if (!v) throw new ShapeError(`${what} has no ${key}`);
  return v;
}

export function functionFromAws(raw: unknown, tags: Record<string, string> = {}): LambdaFunction {
  const f = obj(raw);
  const name = required(f, 'FunctionName', 'a function');
  const vpc = obj(f.VpcConfig);
  const subnetIds = arr(vpc.SubnetIds).filter((x): x is string => typeof x === 'string');
  return {
    name,
    arn: str(f.FunctionArn) ?? name,
    role: str(f.Role) ?? '',
    runtime: str(f.Runtime),
    handler: str(f.Handler),
    lastModified: str(f.LastModified),
    vpc: subnetIds.length
      ? { vpcId: str(vpc.VpcId), subnetIds, securityGroupIds: arr(vpc.SecurityGroupIds).filter((x): x is string => typeof x === 'string') }
      : undefined,
    tags,
  };
}

export function networkInterfaceFromAws(raw: unknown): NetworkInterface {
  const e = obj(raw);
  const id = required(e, 'NetworkInterfaceId', 'a network interface');
  const attachment = obj(e.Attachment);
  const privateIps = arr(e.PrivateIpAddresses)
    .map((p) => str(obj(p).PrivateIpAddress))
    .filter((x): x is string => !!x);
  const primary = str(e.PrivateIpAddress);
  if (primary && !privateIps.includes(primary)) privateIps.unshift(primary);
  return {
    id,
    type: str(e.InterfaceType) ?? 'interface',
    description: str(e.Description) ?? '',
    subnetId: str(e.SubnetId) ?? '',
    vpcId: str(e.VpcId) ?? '',
    securityGroupIds: arr(e.Groups)
      .map((g) => str(obj(g).GroupId))
      .filter((x): x is string => !!x),
    privateIps,
    ipv6Ips: arr(e.Ipv6Addresses)
      .map((p) => str(obj(p).Ipv6Address))
      .filter((x): x is string => !!x),
    publicIp: str(obj(e.Association).PublicIp),
    requesterId: str(e.RequesterId),
    instanceId: str(attachment.InstanceId),
    status: str(e.Status),
    since: time(attachment.AttachTime),
  };
}

export function flowLogFromAws(raw: unknown): FlowLogConfig {
  const f = obj(raw);
  return {
    id: required(f, 'FlowLogId', 'a flow log'),
    logFormat: str(f.LogFormat) ?? '',
    destinationType: str(f.LogDestinationType) ?? 'cloud-watch-logs',
    logGroupName: str(f.LogGroupName),
    destination: str(f.LogDestination),
    resourceId: str(f.ResourceId) ?? '',
    trafficType: str(f.TrafficType),
    maxAggregationIntervalSeconds: typeof f.MaxAggregationInterval === 'number' ? f.MaxAggregationInterval : undefined,
    status: str(f.FlowLogStatus),
  };
}

/** A LookupEvents `Event`; its `CloudTrailEvent` is the full record as a JSON string. */
export function trailEventFromAws(raw: unknown): TrailEvent {
  const e = obj(raw);
  let record: Json = {};
  const text = str(e.CloudTrailEvent);
  if (text) {
    try {
      record = obj(JSON.parse(text));
    } catch {
      throw new ShapeError(`event ${str(e.EventId) ?? '?'} has a CloudTrailEvent that is not JSON`);
    }
  }
  const identity = obj(record.userIdentity);
  const arn = str(identity.arn);
  // assumed-role/<role>/<session>
  const assumed = arn ? /:assumed-role\/([^/]+)\/(.+)$/.exec(arn) : null;
  const eventTime = time(e.EventTime) ?? time(record.eventTime);
  if (eventTime === undefined) throw new ShapeError(`event ${str(e.EventId) ?? '?'} has no EventTime`);
  return {
    eventId: str(e.EventId) ?? str(record.eventID) ?? '',
    eventTime,
    eventSource: str(e.EventSource) ?? str(record.eventSource) ?? '',
    eventName: str(e.EventName) ?? str(record.eventName) ?? '',
    // Only an assumed-role identity has a session; an IAM user's Username is not one. Without the record
    // (never so in real LookupEvents) Username is all there is.
    sessionName: assumed?.[2] ?? (text ? undefined : str(e.Username)),
    roleName: assumed?.[1],
    principalArn: arn,
    errorCode: str(record.errorCode),
    errorMessage: str(record.errorMessage),
    userAgent: str(record.userAgent),
    sourceIp: str(record.sourceIPAddress),
  };
}

/**
 * GetMetricData results joined to their queries (by Id) to learn each series' function and metric.
 * Results whose query is unknown, or not a per-function Lambda metric, are skipped.
 */
export function metricSeriesFromAws(queries: unknown[], results: unknown[]): MetricSeries[] {
  const byId = new Map<string, { functionName: string; metric: MetricName; stat: string; period: number }>();
  for (const q of queries) {
    const qo = obj(q);
    const stat = obj(qo.MetricStat);
    const metric = obj(stat.Metric);
    const name = str(metric.MetricName) as MetricName | undefined;
    const fn = arr(metric.Dimensions)
      .map(obj)
      .find((d) => d.Name === 'FunctionName');
    const id = str(qo.Id);
    if (!id || !name || !METRIC_NAMES.includes(name) || !fn || !str(fn.Value)) continue;
    byId.set(id, { functionName: str(fn.Value)!, metric: name, stat: str(stat.Stat) ?? 'Sum', period: Number(stat.Period) || 3600 });
  }
  const series = new Map<string, MetricSeries>();
  // Every series of a request has the same few hundred timestamps: each text is parsed once, not once a point.
  const times = new Map<unknown, number | undefined>();
  const timeOf = (raw: unknown): number | undefined => {
    if (typeof raw !== 'string') return time(raw);
    let t = times.get(raw);
    if (t === undefined && !times.has(raw)) times.set(raw, (t = time(raw)));
    return t;
  };
  for (const r of results) {
    const ro = obj(r);
    const q = byId.get(str(ro.Id) ?? '');
    if (!q) continue;
    const key = `${q.functionName}\u0000${q.metric}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = { functionName: q.functionName, metric: q.metric, stat: q.stat, periodSeconds: q.period, points: [] }));
    const ts = arr(ro.Timestamps);
    const vs = arr(ro.Values);
    for (let i = 0; i < ts.length && i < vs.length; i++) {
      const t = timeOf(ts[i]);
      // A number, or a numeric string (what some SDK paths hand back): never an object whose toString could throw.
      const raw = vs[i];
      const v = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
      if (t !== undefined && Number.isFinite(v)) s.points.push({ t, v });
    }
  }
  return [...series.values()];
}
