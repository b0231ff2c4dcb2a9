// CloudTrail LookupEvents: calls by function code under assumed-role sessions named after the function, the Lambda service's awslambda_ sessions, and the injected calls.
import { isReadOnly, requestParameters, type ApiCall } from './apis';
import type { ApiInjection } from './anomalies';
import { eniLive } from './account';
import { sessionAccessKey } from './ids';
import type { FunctionSeries } from './metrics';
import type { Account, Eni, FunctionSpec, GenOptions, Role, Span } from './model';
import type { Rng } from './random';
import { compactTimestamp, HOUR_S, iso } from './time';
import { JsonArrayWriter, LineSink } from './write';

interface Session {
  name: string;
  role: Role;
  accessKey: string;
  created: number;
}

interface Draft {
  time: number;
  session: Session;
  call: ApiCall;
  fn: FunctionSpec;
  service: boolean;
  error?: { code: string; message: string };
  userAgent?: string;
  requestParameters?: Record<string, unknown>;
}

const SESSION_HOURS = 4;

/** The SDK a function's code was built with: fixed per function, as a deployed bundle pins it. */
function userAgent(fn: FunctionSpec, call: ApiCall): string {
  const service = call.source.split('.')[0] ?? 'sts';
  const minor = fn.codeSize % 150;
  if (fn.runtime.startsWith('python')) {
    const v = `1.35.${10 + (minor % 50)}`;
    return `Boto3/${v} md/Botocore#${v} ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_${fn.runtime} cfg/retry-mode#legacy Botocore/${v}`;
  }
  if (fn.runtime.startsWith('java'))
    return `aws-sdk-java/2.29.${minor % 40} Linux/5.10.227 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. exec-env/AWS_Lambda_java21 io/sync http/Apache cfg/retry-mode/legacy`;
  return `aws-sdk-js/3.${600 + minor}.0 ua/2.1 os/linux#5.10.227-239.884.amzn2.x86_64 lang/js md/nodejs#20.18.0 api/${service}#3.${600 + minor}.0 exec-env/AWS_Lambda_${fn.runtime} m/E`;
}

/** An event written as given (management events of the Lambda service and of deploy pipelines, built by a profile). */
export interface RecordedEvent {
  time: number;
  eventId: string;
  /** The LookupEvents entry, CloudTrailEvent included. */
  entry: Record<string, unknown>;
}

export async function writeTrail(
  path: string,
  opts: GenOptions,
  account: Account,
  span: Span,
  series: FunctionSeries[],
  injected: ApiInjection[],
  rng: Rng,
  recorded: readonly RecordedEvent[] = [],
): Promise<number> {
  const drafts: Draft[] = [];
  const sessions = new Map<string, Session>();
  // Each function's containers get fresh credentials every few hours; calls in between share them.
  const codeSession = (fn: FunctionSpec, time: number): Session => {
    const block = Math.floor((time - span.start) / (SESSION_HOURS * HOUR_S));
    const key = `${fn.name}|${block}`;
    let s = sessions.get(key);
    if (!s) {
      s = {
        name: fn.name,
        role: fn.role,
        accessKey: sessionAccessKey(rng),
        created: span.start + block * SESSION_HOURS * HOUR_S - rng.int(60, 1800),
      };
      sessions.set(key, s);
    }
    return s;
  };

  for (const fn of account.functions) {
    const inv = (series[fn.index] as FunctionSeries).invocations;
    let total = 0;
    for (let h = 0; h < span.hours; h++) total += inv[h] ?? 0;
    const mean = Math.max(1, total / span.hours);
    // Each routine call shows up at least once in the baseline, however short: otherwise it would be genuinely new.
    const ran: number[] = [];
    for (let h = 0; h < span.detectHour; h++) if ((inv[h] ?? 0) > 0) ran.push(h);
    if (ran.length > 0) {
      for (const api of fn.apis) {
        const time = span.start + rng.pick(ran) * HOUR_S + rng.int(0, HOUR_S - 1);
        drafts.push({ time, session: codeSession(fn, time), call: api, fn, service: false });
      }
    }
    for (let h = 0; h < span.hours; h++) {
      const n = inv[h] ?? 0;
      if (n === 0) continue;
      // Calls follow activity (cold starts, cache refreshes), but far less than linearly.
      const activity = Math.min(3, n / mean);
      for (const api of fn.apis) {
        const count = rng.poisson((api.perDay / 24) * activity * opts.trailDensity);
        for (let i = 0; i < count; i++) {
          const time = span.start + h * HOUR_S + rng.int(0, HOUR_S - 1);
          const d: Draft = { time, session: codeSession(fn, time), call: api, fn, service: false };
          if (rng.chance(0.003)) d.error = { code: 'ThrottlingException', message: 'Rate exceeded' };
          drafts.push(d);
        }
      }
      // The Lambda service decrypts a customer-key-encrypted environment at each cold start, with the function's role.
      if (fn.kmsEnv) {
        const cold = rng.poisson(0.25 * activity * Math.max(0.2, opts.trailDensity));
        for (let i = 0; i < cold; i++) {
          const time = span.start + h * HOUR_S + rng.int(0, HOUR_S - 1);
          const created = time - rng.int(1, 90);
          const session: Session = {
            name: `awslambda_${rng.int(100, 999)}_${compactTimestamp(created)}`,
            role: fn.role,
            accessKey: sessionAccessKey(rng),
            created,
          };
          drafts.push({ time, session, call: { source: 'kms.amazonaws.com', name: 'Decrypt' }, fn, service: true });
        }
      }
    }
  }
  for (const inj of injected) {
    const d: Draft = { time: inj.time, session: codeSession(inj.fn, inj.time), call: inj.call, fn: inj.fn, service: false };
    if (inj.error) d.error = inj.error;
    if (inj.userAgent !== undefined) d.userAgent = inj.userAgent;
    if (inj.requestParameters !== undefined) d.requestParameters = inj.requestParameters;
    drafts.push(d);
  }

  // LookupEvents pages come newest first.
  const events: Array<{ time: number; eventId: string; requestId?: string; d?: Draft; entry?: Record<string, unknown> }> = drafts.map(
    (d) => ({ time: d.time, d, eventId: rng.uuid(), requestId: rng.uuid() }),
  );
  for (const r of recorded) events.push({ time: r.time, eventId: r.eventId, entry: r.entry });
  events.sort((a, b) => b.time - a.time || (a.eventId < b.eventId ? -1 : 1));

  const sink = new LineSink(path, false);
  const json = new JsonArrayWriter(sink);
  json.open({}, 'Events');
  for (const { d, eventId, requestId, entry } of events) {
    json.item(d ? lookupEvent(account, d, eventId, requestId ?? '', rng) : entry);
    await sink.drain();
  }
  json.closeArray();
  json.close();
  await sink.close();
  return events.length;
}

/** The function's ENIs at `t`: a replaced ENI's address is not the caller's after the replacement. */
function liveEnis(fn: FunctionSpec, t: number): Eni[] {
  const live = fn.enis.filter((e) => eniLive(e, t));
  return live.length === fn.enis.length || live.length === 0 ? fn.enis : live;
}

function lookupEvent(account: Account, d: Draft, eventId: string, requestId: string, rng: Rng): Record<string, unknown> {
  const { session, call, fn } = d;
  const sessionArn = `arn:aws:sts::${account.accountId}:assumed-role/${session.role.name}/${session.name}`;
  const userIdentity: Record<string, unknown> = {
    type: 'AssumedRole',
    principalId: `${session.role.roleId}:${session.name}`,
    arn: sessionArn,
    accountId: account.accountId,
    accessKeyId: session.accessKey,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: session.role.roleId,
        arn: session.role.arn,
        accountId: account.accountId,
        userName: session.role.name,
      },
      attributes: { creationDate: iso(session.created), mfaAuthenticated: 'false' },
    },
  };
  if (d.service) userIdentity.invokedBy = 'lambda.amazonaws.com';
  const readOnly = isReadOnly(call.name);
  const viaEndpoint = !d.service && fn.enis.length > 0;
  const record: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity,
    eventTime: iso(d.time),
    eventSource: call.source,
    eventName: call.name,
    awsRegion: account.region,
    // Code in a VPC reaches AWS through the interface endpoint, which records the caller's private address.
    sourceIPAddress: d.service ? 'lambda.amazonaws.com' : viaEndpoint ? rng.pick(liveEnis(fn, d.time)).ip : rng.pick(fn.publicIps),
    userAgent: d.service ? 'lambda.amazonaws.com' : (d.userAgent ?? userAgent(fn, call)),
  };
  if (d.error) {
    record.errorCode = d.error.code;
    record.errorMessage = d.error.message;
  }
  const ctx = { accountId: account.accountId, region: account.region, kmsKeyArn: account.kmsKeyArn };
  record.requestParameters = d.service
    ? { keyId: account.kmsKeyArn, encryptionContext: { 'aws:lambda:FunctionArn': fn.arn }, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }
    : (d.requestParameters ?? requestParameters(call, fn.name, ctx, rng));
  record.responseElements = null;
  record.requestID = requestId;
  record.eventID = eventId;
  record.readOnly = readOnly;
  const kmsKey = call.source === 'kms.amazonaws.com';
  if (kmsKey) record.resources = [{ accountId: account.accountId, type: 'AWS::KMS::Key', ARN: account.kmsKeyArn }];
  record.eventType = 'AwsApiCall';
  record.managementEvent = true;
  record.recipientAccountId = account.accountId;
  if (viaEndpoint) {
    record.vpcEndpointId = account.vpceId;
    record.vpcEndpointAccountId = account.accountId;
  }
  record.eventCategory = 'Management';
  return {
    EventId: eventId,
    EventName: call.name,
    ReadOnly: String(readOnly),
    AccessKeyId: session.accessKey,
    EventTime: iso(d.time),
    EventSource: call.source,
    Username: session.name,
    Resources: kmsKey ? [{ ResourceType: 'AWS::KMS::Key', ResourceName: account.kmsKeyArn }] : [],
    CloudTrailEvent: JSON.stringify(record),
  };
}
