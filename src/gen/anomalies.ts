// Plans what happens in the detection window only: the injected anomalies (network, API, invocations) and the labels that say what a scanner should find.
import { DENIED_APIS, denialMessage, RECON_APIS, type ApiCall } from './apis';
import { addressIn, SUSPICIOUS_BLOCKS } from './ids';
import type { Account, Eni, FunctionSpec, Span } from './model';
import type { Rng } from './random';
import { EXFIL, REJECTED, SIZES, type SizeProfile } from './sizes';
import { HOUR_S } from './time';
import type { RecordedEvent } from './trail';

export interface NetInjection {
  fn: FunctionSpec;
  eni: Eni;
  /** Epoch seconds of the first packet. */
  time: number;
  peerIp: string;
  peerPort: number;
  /** The peer's own ENI when it is in the VPC (its side of the conversation is logged too). */
  peerEni?: Eni;
  viaNat: boolean;
  action: 'ACCEPT' | 'REJECT';
  size: SizeProfile;
}

export interface ApiInjection {
  fn: FunctionSpec;
  time: number;
  call: ApiCall;
  /** The error CloudTrail records: a denial, or throttling. */
  error?: { code: string; message: string };
  /** Set by the hostile profile: the caller's own user agent and request parameters instead of the function's SDK's. */
  userAgent?: string;
  requestParameters?: Record<string, unknown>;
}

export interface SpikeInjection {
  fn: FunctionSpec;
  fromHour: number;
  toHour: number;
  factor: number;
}

/** One entry of the labels file; property order is the file's. */
export interface Label {
  function: string;
  kinds: string[];
  subject: string;
  optional?: boolean;
  alsoAcceptableFunctions: string[];
  /** Why the finding on the other functions behind the same ENI is wrong (only this one ran while the traffic flowed). */
  strict?: string;
  /** The code or configuration change this anomaly followed (ISO time): the finding should name it. */
  afterDeploy?: string;
}

export interface Plan {
  net: NetInjection[];
  api: ApiInjection[];
  spikes: SpikeInjection[];
  labels: Label[];
  /** Management events written as they are (the traps profile's ENI lifecycle and deploys). */
  recorded?: RecordedEvent[];
}

export interface Ctx {
  account: Account;
  span: Span;
  rng: Rng;
  plan: Plan;
}

interface NetTarget {
  ip: string;
  port: number;
  eni?: Eni;
  viaNat: boolean;
}

export function newPlan(): Plan {
  return { net: [], api: [], spikes: [], labels: [] };
}

function sessionArn(account: Account, fn: FunctionSpec): string {
  return `arn:aws:sts::${account.accountId}:assumed-role/${fn.role.name}/${fn.name}`;
}

/** Other functions behind the same ENIs: a finding on any of them is also right. */
function sharers(fn: FunctionSpec, enis: Iterable<Eni>): string[] {
  const names = new Set<string>();
  for (const eni of enis) for (const other of eni.functions) if (other !== fn) names.add(other.name);
  return [...names].sort();
}

/** Every address:port a function's ENIs reach in normal operation, including what its ENI sharers reach. */
export function knownPeers(fn: FunctionSpec): Set<string> {
  const out = new Set<string>();
  for (const eni of fn.enis) {
    for (const other of eni.functions) {
      for (const conv of other.conversations) for (const ep of conv.peer.endpoints) out.add(`${ep.ip}:${conv.peer.port}`);
    }
  }
  return out;
}

function injectNet(
  ctx: Ctx,
  fn: FunctionSpec,
  target: NetTarget,
  action: 'ACCEPT' | 'REJECT',
  size: SizeProfile,
  startOffset: number,
  hours: number,
  perHour: number,
): Set<Eni> {
  const { span, rng, plan } = ctx;
  const used = new Set<Eni>();
  let turn = rng.int(0, fn.enis.length - 1);
  for (let h = 0; h < hours; h++) {
    const hour = span.detectHour + startOffset + h;
    if (hour >= span.hours) break;
    const n = Math.max(1, rng.poisson(perHour));
    for (let k = 0; k < n; k++) {
      const eni = fn.enis[turn++ % fn.enis.length] as Eni;
      used.add(eni);
      const inj: NetInjection = {
        fn,
        eni,
        time: span.start + hour * HOUR_S + rng.int(0, HOUR_S - 61),
        peerIp: target.ip,
        peerPort: target.port,
        viaNat: target.viaNat,
        action,
        size,
      };
      if (target.eni) inj.peerEni = target.eni;
      plan.net.push(inj);
    }
  }
  return used;
}

function netLabel(ctx: Ctx, fn: FunctionSpec, kind: string, target: NetTarget, used: Set<Eni>): void {
  ctx.plan.labels.push({
    function: fn.name,
    kinds: [kind],
    subject: `${target.ip}:${target.port}/tcp`,
    alsoAcceptableFunctions: sharers(fn, used),
  });
}

function injectApi(
  ctx: Ctx,
  fn: FunctionSpec,
  call: ApiCall,
  count: number,
  startOffset: number,
  hours: number,
  deniedCode?: string,
): void {
  const { account, span, rng, plan } = ctx;
  for (let i = 0; i < count; i++) {
    const hour = Math.min(span.hours - 1, span.detectHour + startOffset + rng.int(0, hours - 1));
    const inj: ApiInjection = { fn, time: span.start + hour * HOUR_S + rng.int(0, HOUR_S - 1), call };
    if (deniedCode) {
      inj.error = {
        code: deniedCode,
        message: denialMessage(
          call,
          deniedCode,
          { accountId: account.accountId, region: account.region, sessionArn: sessionArn(account, fn), kmsKeyArn: account.kmsKeyArn },
          rng,
        ),
      };
    }
    plan.api.push(inj);
  }
  const kind = deniedCode ? 'access-denied' : 'new-api-call';
  plan.labels.push({ function: fn.name, kinds: [kind], subject: `${call.source}:${call.name}`, alsoAcceptableFunctions: [] });
}

export function injectSpike(ctx: Ctx, fn: FunctionSpec, startOffset: number, hours: number, factor: number): void {
  const { span, plan } = ctx;
  const fromHour = span.detectHour + startOffset;
  plan.spikes.push({ fn, fromHour, toHour: Math.min(span.hours, fromHour + hours), factor });
  plan.labels.push({ function: fn.name, kinds: ['invocation-spike'], subject: 'Invocations', alsoAcceptableFunctions: [] });
  // More invocations also mean more errors, more concurrency, perhaps throttles: right if reported, not required.
  for (const metric of ['Errors', 'ConcurrentExecutions', 'Throttles']) {
    plan.labels.push({ function: fn.name, kinds: [], subject: metric, optional: true, alsoAcceptableFunctions: [] });
  }
  // A VPC function's extra invocations carry extra traffic to its usual peers.
  const seen = new Set<string>();
  for (const conv of fn.conversations) {
    if (conv.weekly) continue;
    for (const ep of conv.peer.endpoints) {
      const subject = `${ep.ip}:${conv.peer.port}/tcp`;
      if (seen.has(subject)) continue;
      seen.add(subject);
      plan.labels.push({
        function: fn.name,
        kinds: ['traffic-spike'],
        subject,
        optional: true,
        alsoAcceptableFunctions: sharers(fn, fn.enis),
      });
    }
  }
}

function byName(account: Account, name: string): FunctionSpec {
  const fn = account.functions.find((f) => f.name === name);
  if (!fn) throw new Error(`demo cast has no ${name}`);
  return fn;
}

function peerTarget(account: Account, key: string, port?: number): NetTarget {
  const peer = account.peers.get(key);
  const ep = peer?.endpoints[0];
  if (!peer || !ep) throw new Error(`no peer ${key}`);
  const t: NetTarget = { ip: ep.ip, port: port ?? peer.port, viaNat: peer.viaNat };
  if (ep.eni) t.eni = ep.eni;
  return t;
}

/** The demo's anomalies: the published demo's set plus one rejected connection on a shared ENI. */
export function planDemo(account: Account, span: Span, rng: Rng): Plan {
  const ctx: Ctx = { account, span, rng, plan: newPlan() };
  const logger = byName(account, 'RDSQueryLogger');
  const ssh = peerTarget(account, 'ec2', 22);
  netLabel(ctx, logger, 'new-peer', ssh, injectNet(ctx, logger, ssh, 'ACCEPT', SIZES.ec2, 8, 3, 15));

  const webhook = byName(account, 'PaymentsWebhook');
  const c2: NetTarget = { ip: '185.220.101.45', port: 4444, viaNat: true };
  netLabel(ctx, webhook, 'new-peer', c2, injectNet(ctx, webhook, c2, 'ACCEPT', EXFIL, 13, 2, 16));

  const thumbs = byName(account, 'ThumbnailMaker');
  const mysql = peerTarget(account, 'mysql');
  netLabel(ctx, thumbs, 'rejected-traffic', mysql, injectNet(ctx, thumbs, mysql, 'REJECT', REJECTED, 16, 2, 8));

  const api = byName(account, 'OrderApi');
  injectApi(ctx, api, { source: 's3.amazonaws.com', name: 'ListBuckets' }, 4, 19, 5);
  injectApi(ctx, api, { source: 'iam.amazonaws.com', name: 'CreateUser' }, 3, 20, 2, 'AccessDenied');
  injectSpike(ctx, api, 10, 6, 12);
  return ctx.plan;
}

type RandomKind = 'new-peer-internal' | 'new-peer-external' | 'rejected-traffic' | 'new-api-call' | 'access-denied' | 'invocation-spike';
const RANDOM_KINDS: readonly RandomKind[] = [
  'new-peer-internal',
  'new-peer-external',
  'rejected-traffic',
  'new-api-call',
  'access-denied',
  'invocation-spike',
];

/** 3 to 6 anomalies of random kinds on random functions, each one detectable: never a peer or call the baseline already has. */
export function planRandom(account: Account, span: Span, rng: Rng): Plan {
  const ctx: Ctx = { account, span, rng, plan: newPlan() };
  const wanted = rng.int(3, 6);
  const taken = new Set<string>();
  const vpcFns = account.functions.filter((f) => f.enis.length > 0);
  let attempts = 0;
  while (ctx.plan.labels.filter((l) => !l.optional).length < wanted && attempts++ < 200) {
    const kind = rng.pick(RANDOM_KINDS);
    const startOffset = rng.int(1, 18);
    if (kind === 'new-peer-internal' || kind === 'new-peer-external' || kind === 'rejected-traffic') {
      if (vpcFns.length === 0) continue;
      const fn = rng.pick(vpcFns);
      const known = knownPeers(fn);
      let target: NetTarget;
      if (kind === 'new-peer-internal') target = peerTarget(account, 'ec2', rng.pick([22, 3389, 8080, 9200, 2375]));
      else if (kind === 'new-peer-external')
        target = { ip: addressIn(rng, rng.pick(SUSPICIOUS_BLOCKS)), port: rng.pick([4444, 8443, 6667, 1337, 443, 9001]), viaNat: true };
      else target = peerTarget(account, rng.pick(['mysql', 'pg', 'redis', 'ec2']));
      const key = `${target.ip}:${target.port}`;
      if (known.has(key) || taken.has(key)) continue;
      taken.add(key);
      const isReject = kind === 'rejected-traffic';
      const size = isReject ? REJECTED : kind === 'new-peer-external' ? EXFIL : SIZES.ec2;
      const used = injectNet(ctx, fn, target, isReject ? 'REJECT' : 'ACCEPT', size, startOffset, rng.int(1, 4), rng.range(4, 15));
      netLabel(ctx, fn, isReject ? 'rejected-traffic' : 'new-peer', target, used);
    } else if (kind === 'new-api-call' || kind === 'access-denied') {
      const fn = rng.pick(account.functions);
      const pool = kind === 'new-api-call' ? RECON_APIS : DENIED_APIS;
      const call = rng.pick(pool);
      // IAM is global: its events land in us-east-1's CloudTrail, not in this region's LookupEvents.
      if (call.source === 'iam.amazonaws.com' && account.region !== 'us-east-1') continue;
      const key = `${fn.name}|${call.source}:${call.name}`;
      const inBaseline = fn.apis.some((a) => a.source === call.source && a.name === call.name);
      // A denied call may be one the function makes routinely (denied on another resource); a new call may not.
      if (taken.has(key) || (kind === 'new-api-call' && inBaseline)) continue;
      taken.add(key);
      const code = 'code' in call ? (call as { code: string }).code : undefined;
      injectApi(ctx, fn, { source: call.source, name: call.name }, rng.int(2, 6), startOffset, rng.int(1, 5), code);
    } else {
      const candidates = account.functions.filter((f) => f.peakPerHour >= 5 && !ctx.plan.spikes.some((s) => s.fn === f));
      if (candidates.length === 0) continue;
      const fn = rng.pick(candidates);
      if (taken.has(`${fn.name}|Invocations`)) continue;
      taken.add(`${fn.name}|Invocations`);
      injectSpike(ctx, fn, rng.int(6, 14), rng.int(3, 6), rng.range(8, 14));
    }
  }
  return ctx.plan;
}
