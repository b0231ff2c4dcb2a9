// The traps profile: an account that sets the traps real accounts set (AWS service addresses rotating inside ip-ranges prefixes, an ENI replaced by a security-group change, a shared ENI, an AZ failover, a deploy before a new call, throttling, a once-a-day job), with real anomalies among them.
import { addLambdaEni } from './account';
import { injectSpike, newPlan, type ApiInjection, type Ctx, type Label, type NetInjection, type Plan } from './anomalies';
import { denialMessage } from './apis';
import { addressInCidr, resourceId, roleId, sessionAccessKey } from './ids';
import type { Account, BenignNote, Cast, Eni, FunctionSpec, Role, SecurityGroup, Span } from './model';
import type { Rng } from './random';
import { EXFIL, SIZES, type SizeProfile } from './sizes';
import { compactTimestamp, DAY_S, HOUR_S, iso, lambdaTimestamp } from './time';
import type { RecordedEvent } from './trail';

const REGION = 'us-east-1';

/** Prefixes AWS publishes for these services in us-east-1 (each is listed under AMAZON too, as in the real document). */
const S3_PREFIXES = ['52.216.0.0/15', '3.5.0.0/19', '54.231.0.0/16'];
const DYNAMODB_PREFIXES = ['52.94.0.0/22', '3.218.180.0/22', '52.119.224.0/20'];
/** EC2 in the region: the NAT gateway's address and Lambda's own egress are in these, and so is any rented server. */
const EC2_PREFIXES = ['3.80.0.0/12', '54.160.0.0/12', '34.224.0.0/12', '52.200.0.0/13', '44.192.0.0/11'];
/** Where the command-and-control server the archive function reaches is rented: EC2, not a named service. */
const C2_PREFIX = '44.192.0.0/11';
/** Other regions' entries, which a real document also holds and which must not count for this one. */
const OTHER_REGION: ReadonlyArray<readonly [string, string, string]> = [
  ['52.218.128.0/17', 'us-west-2', 'S3'],
  ['52.94.8.0/24', 'us-west-2', 'DYNAMODB'],
  ['35.80.0.0/12', 'us-west-2', 'EC2'],
  ['3.248.0.0/13', 'eu-west-1', 'EC2'],
];

/** The hour (UTC, into the detection window) at which each trap or anomaly happens. */
const AT = {
  sgChange: 2,
  deploy: 4,
  strictPeer: 8,
  failover: 9,
  mysql: 10,
  spike: 11,
  throttles: 12,
  c2: 14,
  ssh: 15,
  denied: 17,
} as const;
/** The once-a-day job's hour: never while the shared ENI's new peer is talked to. */
const DAILY_HOUR = 3;
/** "1 h 41 min after the deploy", as the issue has it. */
const AFTER_DEPLOY_S = HOUR_S + 41 * 60;

export function trapsCast(rng: Rng): Cast {
  // SAM-style role names end in a random suffix.
  const role = (name: string) => `${name}-role-${rng.hex(8)}`;
  return {
    region: REGION,
    lambdaSubnets: 3,
    lambdaPrefix: 24,
    stack: 'ledger-prod',
    saas: [],
    awsServices: [
      // S3 through a gateway endpoint, DynamoDB through the NAT gateway: flow logs show their public addresses either way.
      { key: 's3', kind: 's3', service: 'S3', port: 443, prefixes: S3_PREFIXES, viaNat: false },
      { key: 'dynamodb', kind: 'dynamodb', service: 'DYNAMODB', port: 443, prefixes: DYNAMODB_PREFIXES, viaNat: true },
    ],
    functions: [
      {
        name: 'checkout-api',
        runtime: 'nodejs20.x',
        memory: 512,
        role: role('checkout-api'),
        team: 'web',
        vpc: { subnets: [0], groups: ['web-tier'] },
        peakPerHour: 150,
        durationMs: 120,
        apis: [{ source: 'ssm.amazonaws.com', name: 'GetParameter', perDay: 6 }],
        talks: [
          { peer: 'alb', perInvocation: 0.12 },
          { peer: 'vpce', perInvocation: 0.04 },
        ],
      },
      {
        name: 'nightly-export',
        runtime: 'python3.12',
        memory: 1024,
        role: role('nightly-export'),
        team: 'data',
        dailyHour: DAILY_HOUR,
        vpc: { subnets: [0], groups: ['web-tier'] },
        peakPerHour: 1,
        durationMs: 48_000,
        apis: [{ source: 's3.amazonaws.com', name: 'GetBucketLocation', perDay: 24 }],
        talks: [{ peer: 'pg', perInvocation: 6 }],
      },
      {
        name: 'blob-archiver',
        runtime: 'python3.12',
        memory: 1024,
        role: role('blob-archiver'),
        team: 'data',
        vpc: { subnets: [0, 1], groups: ['archiver'] },
        peakPerHour: 90,
        durationMs: 640,
        apis: [{ source: 's3.amazonaws.com', name: 'GetBucketLocation', perDay: 6 }],
        talks: [
          { peer: 's3', perInvocation: 0.5 },
          { peer: 'dynamodb', perInvocation: 0.3 },
          { peer: 'vpce', perInvocation: 0.04 },
        ],
      },
      {
        name: 'stream-indexer',
        runtime: 'nodejs20.x',
        memory: 512,
        role: role('stream-indexer'),
        team: 'search',
        vpc: { subnets: [2], groups: ['indexer'] },
        peakPerHour: 60,
        durationMs: 300,
        apis: [{ source: 'dynamodb.amazonaws.com', name: 'DescribeTable', perDay: 6 }],
        talks: [
          { peer: 's3', perInvocation: 0.4 },
          { peer: 'dynamodb', perInvocation: 0.4 },
        ],
      },
      {
        name: 'payments-ledger',
        runtime: 'python3.12',
        memory: 512,
        role: role('payments-ledger'),
        team: 'payments',
        kmsEnv: true,
        vpc: { subnets: [1], groups: ['payments-ledger'] },
        peakPerHour: 70,
        durationMs: 210,
        apis: [{ source: 'secretsmanager.amazonaws.com', name: 'GetSecretValue', perDay: 6 }],
        talks: [
          { peer: 'pg', perInvocation: 0.3 },
          { peer: 'vpce', perInvocation: 0.15 },
        ],
      },
      {
        name: 'failover-worker',
        runtime: 'nodejs20.x',
        memory: 256,
        role: role('failover-worker'),
        team: 'platform',
        vpc: { subnets: [0, 1], groups: ['failover-worker'] },
        peakPerHour: 60,
        durationMs: 180,
        apis: [{ source: 'kms.amazonaws.com', name: 'GenerateDataKey', perDay: 6 }],
        talks: [
          { peer: 'redis', perInvocation: 0.3 },
          { peer: 'alb', perInvocation: 0.1 },
        ],
      },
      {
        name: 'orders-store',
        runtime: 'nodejs20.x',
        memory: 512,
        role: 'orders-store-role',
        team: 'orders',
        peakPerHour: 120,
        durationMs: 90,
        apis: [
          { source: 'kms.amazonaws.com', name: 'GenerateDataKey', perDay: 8 },
          { source: 'ssm.amazonaws.com', name: 'GetParameter', perDay: 8 },
          { source: 'dynamodb.amazonaws.com', name: 'DescribeTable', perDay: 8 },
        ],
        talks: [],
      },
      {
        name: 'pricing-engine',
        runtime: 'python3.13',
        memory: 512,
        role: role('pricing-engine'),
        team: 'pricing',
        vpc: { subnets: [1], groups: ['pricing'] },
        peakPerHour: 50,
        durationMs: 150,
        apis: [{ source: 'ssm.amazonaws.com', name: 'GetParameter', perDay: 6 }],
        talks: [{ peer: 'vpce', perInvocation: 0.2 }],
      },
      {
        name: 'quote-api',
        runtime: 'nodejs22.x',
        memory: 256,
        role: 'quote-api-role',
        team: 'pricing',
        peakPerHour: 80,
        durationMs: 70,
        apis: [{ source: 'ssm.amazonaws.com', name: 'GetParameter', perDay: 6 }],
        talks: [],
      },
    ],
  };
}

/** What arrangeTraps changed in the account, for the plan and the recorded events. */
export interface TrapsSetup {
  ledger: FunctionSpec;
  /** payments-ledger's ENI before its security groups changed: deleted, absent from DescribeNetworkInterfaces. */
  oldEni: Eni;
  newEni: Eni;
  sgChangeAt: number;
  pricing: FunctionSpec;
  deployAt: number;
  failoverTo: Eni;
  failoverAt: number;
  deployRole: Role;
}

function byName(account: Account, name: string): FunctionSpec {
  const fn = account.functions.find((f) => f.name === name);
  if (!fn) throw new Error(`traps cast has no ${name}`);
  return fn;
}

/** Turns the built account into the one the traps need: a replaced ENI, an AZ failover, a subnet flow log in v5, a deploy. */
export function arrangeTraps(account: Account, span: Span, rng: Rng): TrapsSetup {
  // payments-ledger's security group changed 2 h into the detection window: Lambda made a new ENI for the new set
  // (the one DescribeNetworkInterfaces lists) and deleted the old one, whose baseline traffic is in the flow log.
  const ledger = byName(account, 'payments-ledger');
  const newEni = ledger.enis[0];
  if (!newEni) throw new Error('payments-ledger has no ENI');
  const sgChangeAt = span.detectStart + AT.sgChange * HOUR_S;
  const oldGroup: SecurityGroup = { id: resourceId(rng, 'sg'), name: 'payments-ledger-v1' };
  account.groups.push(oldGroup);
  const oldEni = addLambdaEni(account, rng, newEni.subnet, [oldGroup], [ledger], span.start - 24 * DAY_S + rng.int(0, DAY_S - 1));
  oldEni.activeUntil = sgChangeAt;
  oldEni.deletedAt = sgChangeAt + 35 * 60 + rng.int(0, 600);
  newEni.activeFrom = sgChangeAt;
  newEni.attachTime = sgChangeAt - rng.int(30, 90);
  ledger.enis = [oldEni, newEni];
  ledger.lastModified = sgChangeAt - rng.int(120, 240);

  // failover-worker runs almost only in AZ a; when AZ a fails its traffic moves to the rarely used ENI in AZ b.
  const worker = byName(account, 'failover-worker');
  const failoverTo = worker.enis.find((e) => e.subnet.az.endsWith('b'));
  if (!failoverTo) throw new Error('failover-worker has no ENI in AZ b');
  const failoverAt = span.detectStart + AT.failover * HOUR_S;
  worker.failover = { to: failoverTo, at: failoverAt, share: 0.03 };

  // stream-indexer's subnet has its own flow log, in a v5 format that names the AWS service of each public address.
  const indexer = byName(account, 'stream-indexer');
  const indexerSubnet = indexer.vpc?.subnets[0];
  if (!indexerSubnet) throw new Error('stream-indexer has no subnet');
  account.subnetFlowLog = { id: resourceId(rng, 'fl'), subnet: indexerSubnet, created: span.start - 20 * DAY_S };

  // The deploy pipeline updates pricing-engine's code 4 h into the window; ListFunctions shows the new code.
  const pricing = byName(account, 'pricing-engine');
  const deployAt = span.detectStart + AT.deploy * HOUR_S + rng.int(300, 1500);
  pricing.lastModified = deployAt;
  pricing.codeSha256 = rng.bytes(32).toString('base64');
  pricing.revisionId = rng.uuid();

  const deployRole: Role = { name: 'deploy-pipeline', arn: `arn:aws:iam::${account.accountId}:role/deploy-pipeline`, roleId: roleId(rng) };
  return { ledger, oldEni, newEni, sgChangeAt, pricing, deployAt, failoverTo, failoverAt, deployRole };
}

interface Target {
  ip: string;
  port: number;
  eni?: Eni;
  viaNat: boolean;
}

function peerTarget(account: Account, key: string, port?: number): Target {
  const peer = account.peers.get(key);
  const ep = peer?.endpoints[0];
  if (!peer || !ep) throw new Error(`no peer ${key}`);
  const t: Target = { ip: ep.ip, port: port ?? peer.port, viaNat: peer.viaNat };
  if (ep.eni) t.eni = ep.eni;
  return t;
}

/** Connections from one ENI to `target`, `perHour` of them on average in each of `hours` hours from `fromHour` into the window. */
function inject(
  ctx: Ctx,
  fn: FunctionSpec,
  eni: Eni,
  target: Target,
  size: SizeProfile,
  fromHour: number,
  hours: number,
  perHour: number,
): void {
  const { span, rng, plan } = ctx;
  for (let h = 0; h < hours; h++) {
    const hour = span.detectHour + fromHour + h;
    const n = Math.max(1, rng.poisson(perHour));
    for (let k = 0; k < n; k++) {
      const inj: NetInjection = {
        fn,
        eni,
        time: span.start + hour * HOUR_S + rng.int(0, HOUR_S - 61),
        peerIp: target.ip,
        peerPort: target.port,
        viaNat: target.viaNat,
        action: 'ACCEPT',
        size,
      };
      if (target.eni) inj.peerEni = target.eni;
      plan.net.push(inj);
    }
  }
}

function label(fn: FunctionSpec, kind: string, subject: string, extra: Partial<Label> = {}): Label {
  return { function: fn.name, kinds: [kind], subject, alsoAcceptableFunctions: [], ...extra };
}

/** Calls at the given times by the function's own code, optionally failing with `error`. */
function calls(ctx: Ctx, fn: FunctionSpec, source: string, name: string, times: number[], error?: { code: string; message: string }): void {
  for (const time of times) {
    const inj: ApiInjection = { fn, time, call: { source, name } };
    if (error) inj.error = error;
    ctx.plan.api.push(inj);
  }
}

/** `count` times spread over `hours` hours from `fromHour` into the detection window. */
function timesIn(ctx: Ctx, fromHour: number, hours: number, count: number): number[] {
  const start = ctx.span.detectStart + fromHour * HOUR_S;
  return Array.from({ length: count }, () => start + ctx.rng.int(0, hours * HOUR_S - 1));
}

export function planTraps(account: Account, span: Span, rng: Rng, setup: TrapsSetup, eventRng: Rng): Plan {
  const ctx: Ctx = { account, span, rng, plan: newPlan() };
  const { plan } = ctx;

  // The replaced ENI's function reaches a database it never used, on its new ENI: still a new peer.
  const mysql = peerTarget(account, 'mysql');
  inject(ctx, setup.ledger, setup.newEni, mysql, SIZES.mysql, AT.mysql, 2, 6);
  plan.labels.push(label(setup.ledger, 'new-peer', `${mysql.ip}:${mysql.port}/tcp`));

  // The shared ENI: checkout-api reaches a new public peer while nightly-export (same subnet and groups) is not running.
  const checkout = byName(account, 'checkout-api');
  const strictPeer: Target = { ip: `45.155.205.${rng.int(2, 250)}`, port: 8443, viaNat: true };
  const shared = checkout.enis[0];
  if (!shared) throw new Error('checkout-api has no ENI');
  inject(ctx, checkout, shared, strictPeer, EXFIL, AT.strictPeer, 2, 5);
  plan.labels.push(
    label(checkout, 'new-peer', `${strictPeer.ip}:${strictPeer.port}/tcp`, {
      strict: 'nightly-export was not invoked while the traffic flowed',
    }),
  );

  // The S3 and DynamoDB function reaches a server on EC2, port 443 like S3: an EC2 address is a peer of its own.
  const archiver = byName(account, 'blob-archiver');
  const c2: Target = { ip: addressInCidr(rng, C2_PREFIX), port: 443, viaNat: true };
  inject(ctx, archiver, rng.pick(archiver.enis), c2, EXFIL, AT.c2, 2, 8);
  plan.labels.push(label(archiver, 'new-peer', `${c2.ip}:${c2.port}/tcp`));

  // After the failover, from the rarely used ENI: SSH to the ops host.
  const worker = byName(account, 'failover-worker');
  const ssh = peerTarget(account, 'ec2', 22);
  inject(ctx, worker, setup.failoverTo, ssh, SIZES.ec2, AT.ssh, 1, 6);
  plan.labels.push(label(worker, 'new-peer', `${ssh.ip}:22/tcp`));

  // Throttling on calls orders-store always makes: errors, not denials.
  const store = byName(account, 'orders-store');
  calls(ctx, store, 'kms.amazonaws.com', 'GenerateDataKey', timesIn(ctx, AT.throttles, 2, 14), {
    code: 'ThrottlingException',
    message: 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.',
  });
  calls(ctx, store, 'ssm.amazonaws.com', 'GetParameter', timesIn(ctx, AT.throttles, 2, 9), {
    code: 'ThrottlingException',
    message: 'Rate exceeded',
  });
  calls(ctx, store, 'dynamodb.amazonaws.com', 'DescribeTable', timesIn(ctx, AT.throttles, 2, 6), {
    code: 'ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
  });
  // ... and a real denial.
  const assume = { source: 'sts.amazonaws.com', name: 'AssumeRole' };
  const sessionArn = `arn:aws:sts::${account.accountId}:assumed-role/${store.role.name}/${store.name}`;
  calls(ctx, store, assume.source, assume.name, timesIn(ctx, AT.denied, 2, 3), {
    code: 'AccessDenied',
    message: denialMessage(
      assume,
      'AccessDenied',
      { accountId: account.accountId, region: account.region, sessionArn, kmsKeyArn: account.kmsKeyArn },
      rng,
    ),
  });
  plan.labels.push(label(store, 'access-denied', 'sts.amazonaws.com:AssumeRole'));

  // 1 h 41 min after the deploy, pricing-engine's code starts reading a parameter path.
  const first = setup.deployAt + AFTER_DEPLOY_S + rng.int(0, 59);
  const later = Array.from({ length: 5 }, () => first + rng.int(60, Math.max(120, span.end - first - 60)));
  calls(ctx, setup.pricing, 'ssm.amazonaws.com', 'GetParametersByPath', [first, ...later]);
  plan.labels.push(label(setup.pricing, 'new-api-call', 'ssm.amazonaws.com:GetParametersByPath', { afterDeploy: iso(setup.deployAt) }));

  // An invocation spike on a function outside the VPC.
  injectSpike(ctx, byName(account, 'quote-api'), AT.spike, 5, 10);

  plan.recorded = managementEvents(account, span, setup, eventRng);
  return plan;
}

export function trapsBenign(account: Account, setup: TrapsSetup): BenignNote[] {
  return [
    {
      function: 'blob-archiver',
      note: `S3 (gateway endpoint) and DynamoDB (NAT gateway) over public addresses that rotate inside the ip-ranges prefixes (${S3_PREFIXES.length} S3, ${DYNAMODB_PREFIXES.length} DynamoDB): a new address of a known service is not a new peer`,
    },
    {
      function: 'stream-indexer',
      note: `S3 and DynamoDB over rotating public addresses, on a subnet whose own flow log (${account.subnetFlowLog?.id ?? ''}, v5) names the service in pkt-dst-aws-service / pkt-src-aws-service`,
    },
    {
      function: 'payments-ledger',
      note: `security groups changed ${AT.sgChange} h into the detection window (UpdateFunctionConfiguration20150331v2): ENI ${setup.oldEni.id} (baseline traffic) was replaced by ${setup.newEni.id} and deleted; it is absent from describe-network-interfaces and known only from CloudTrail's CreateNetworkInterface/DeleteNetworkInterface; the database and the Secrets Manager endpoint are known peers`,
    },
    {
      function: 'failover-worker',
      note: `AZ failover ${AT.failover} h into the detection window onto its rarely used ENI ${setup.failoverTo.id} in AZ b: same peers, other ENI`,
    },
    {
      function: 'nightly-export',
      note: `invoked once a day at 0${DAILY_HOUR}:00 UTC, in the detection window too; shares its ENI with checkout-api, whose new peer it did not reach (it was not running)`,
    },
    {
      function: 'orders-store',
      note: 'ThrottlingException on kms GenerateDataKey, ssm GetParameter and dynamodb DescribeTable, calls it always makes: errors, not denials',
    },
    {
      function: 'pricing-engine',
      note: `UpdateFunctionCode20150331v2 by deploy-pipeline at ${iso(setup.deployAt)}: the new call started 1 h 41 min later`,
    },
    {
      function: '*',
      note: "CreateNetworkInterface/DeleteNetworkInterface and kms Decrypt under awslambda_ sessions are the Lambda service, and the deploy pipeline's Update* calls are not function code",
    },
  ];
}

/** AWS's ip-ranges document as published: every prefix under AMAZON, the named services again under their own names. */
export function ipRangesDocument(span: Span): Record<string, unknown> {
  const published = span.end - 2 * DAY_S - 7 * 3600 - 1234;
  const entry = (ip_prefix: string, region: string, service: string) => ({ ip_prefix, region, service, network_border_group: region });
  const prefixes: Record<string, string>[] = [];
  const named: ReadonlyArray<readonly [string[], string]> = [
    [S3_PREFIXES, 'S3'],
    [DYNAMODB_PREFIXES, 'DYNAMODB'],
    [EC2_PREFIXES, 'EC2'],
  ];
  for (const [list, service] of named) {
    for (const p of list) prefixes.push(entry(p, REGION, 'AMAZON'), entry(p, REGION, service));
  }
  for (const [p, region, service] of OTHER_REGION) prefixes.push(entry(p, region, 'AMAZON'), entry(p, region, service));
  const v6 = (ipv6_prefix: string, region: string, service: string) => ({ ipv6_prefix, region, service, network_border_group: region });
  return {
    syncToken: String(published),
    createDate: iso(published).replace('T', '-').replace(/:/g, '-').replace('Z', ''),
    prefixes,
    ipv6_prefixes: [
      v6('2600:1fa0:8000::/39', REGION, 'AMAZON'),
      v6('2600:1fa0:8000::/39', REGION, 'S3'),
      v6('2600:1f18::/33', REGION, 'AMAZON'),
      v6('2600:1f18::/33', REGION, 'EC2'),
    ],
  };
}

// --- CloudTrail management events: the ENI history and the function changes ----------------------------------------

interface Caller {
  role: Role;
  session: string;
  created: number;
  accessKey: string;
  /** The Lambda service acting with the execution role. */
  lambdaService: boolean;
  sourceIp: string;
  userAgent: string;
}

function lambdaCaller(rng: Rng, role: Role, time: number): Caller {
  const created = time - rng.int(30, 900);
  return {
    role,
    session: `awslambda_${rng.int(100, 999)}_${compactTimestamp(created)}`,
    created,
    accessKey: sessionAccessKey(rng),
    lambdaService: true,
    sourceIp: 'lambda.amazonaws.com',
    userAgent: 'lambda.amazonaws.com',
  };
}

function deployCaller(rng: Rng, role: Role, time: number, command: string): Caller {
  return {
    role,
    session: `codebuild-${rng.hex(8)}`,
    created: time - rng.int(300, 1500),
    accessKey: sessionAccessKey(rng),
    lambdaService: false,
    sourceIp: addressInCidr(rng, '3.80.0.0/12'),
    userAgent: `aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#5.10.228-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/AWS_ECS_EC2 cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2 md/prompt#off md/command#lambda.${command}`,
  };
}

function event(
  account: Account,
  rng: Rng,
  time: number,
  caller: Caller,
  source: string,
  name: string,
  requestParameters: Record<string, unknown>,
  responseElements: Record<string, unknown> | null,
  resources: Array<{ ResourceType: string; ResourceName: string }>,
): RecordedEvent {
  const eventId = rng.uuid();
  const { role } = caller;
  const userIdentity: Record<string, unknown> = {
    type: 'AssumedRole',
    principalId: `${role.roleId}:${caller.session}`,
    arn: `arn:aws:sts::${account.accountId}:assumed-role/${role.name}/${caller.session}`,
    accountId: account.accountId,
    accessKeyId: caller.accessKey,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: role.roleId, arn: role.arn, accountId: account.accountId, userName: role.name },
      attributes: { creationDate: iso(caller.created), mfaAuthenticated: 'false' },
    },
  };
  if (caller.lambdaService) userIdentity.invokedBy = 'lambda.amazonaws.com';
  const record = {
    eventVersion: '1.09',
    userIdentity,
    eventTime: iso(time),
    eventSource: source,
    eventName: name,
    awsRegion: account.region,
    sourceIPAddress: caller.sourceIp,
    userAgent: caller.userAgent,
    requestParameters,
    responseElements,
    requestID: rng.uuid(),
    eventID: eventId,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account.accountId,
    eventCategory: 'Management',
  };
  return {
    time,
    eventId,
    entry: {
      EventId: eventId,
      EventName: name,
      ReadOnly: 'false',
      AccessKeyId: caller.accessKey,
      EventTime: iso(time),
      EventSource: source,
      Username: caller.session,
      Resources: resources,
      CloudTrailEvent: JSON.stringify(record),
    },
  };
}

function privateDns(ip: string): string {
  return `ip-${ip.replace(/\./g, '-')}.ec2.internal`;
}

/** CreateNetworkInterface as Lambda makes it with the execution role of the function it names. */
function createEni(account: Account, rng: Rng, eni: Eni): RecordedEvent {
  const creator = eni.functions[0];
  if (!creator) throw new Error(`${eni.id} serves no function`);
  const time = eni.attachTime - rng.int(5, 40);
  const groupSet = { items: eni.groups.map((g) => ({ groupId: g.id, groupName: g.name })) };
  return event(
    account,
    rng,
    time,
    lambdaCaller(rng, creator.role, time),
    'ec2.amazonaws.com',
    'CreateNetworkInterface',
    { subnetId: eni.subnet.id, description: eni.description, groupSet: { items: eni.groups.map((g) => ({ groupId: g.id })) } },
    {
      requestId: rng.uuid(),
      networkInterface: {
        networkInterfaceId: eni.id,
        subnetId: eni.subnet.id,
        vpcId: account.vpcId,
        availabilityZone: eni.subnet.az,
        description: eni.description,
        ownerId: account.accountId,
        requesterId: eni.requesterId,
        requesterManaged: false,
        status: 'pending',
        macAddress: eni.mac,
        privateIpAddress: eni.ip,
        privateDnsName: privateDns(eni.ip),
        sourceDestCheck: true,
        interfaceType: 'lambda',
        groupSet,
        privateIpAddressesSet: { item: [{ privateIpAddress: eni.ip, privateDnsName: privateDns(eni.ip), primary: true }] },
        ipv6AddressesSet: {},
        tagSet: {},
      },
    },
    [
      { ResourceType: 'AWS::EC2::Subnet', ResourceName: eni.subnet.id },
      ...eni.groups.map((g) => ({ ResourceType: 'AWS::EC2::SecurityGroup', ResourceName: g.id })),
    ],
  );
}

/** The function's configuration as Lambda's Update* responses return it (camelCase, unlike the SDK). */
function configurationResponse(account: Account, fn: FunctionSpec, lastModified: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    functionName: fn.name,
    functionArn: fn.arn,
    runtime: fn.runtime,
    role: fn.role.arn,
    handler: fn.handler,
    codeSize: fn.codeSize,
    description: '',
    timeout: fn.timeout,
    memorySize: fn.memory,
    lastModified: lambdaTimestamp(lastModified),
    codeSha256: fn.codeSha256,
    version: '$LATEST',
  };
  if (fn.vpc)
    out.vpcConfig = {
      subnetIds: fn.vpc.subnets.map((s) => s.id),
      securityGroupIds: fn.vpc.groups.map((g) => g.id),
      vpcId: account.vpcId,
      ipv6AllowedForDualStack: false,
    };
  Object.assign(out, {
    tracingConfig: { mode: 'PassThrough' },
    revisionId: fn.revisionId,
    state: 'Active',
    lastUpdateStatus: 'InProgress',
    lastUpdateStatusReason: 'The function is being created.',
    lastUpdateStatusReasonCode: 'Creating',
    packageType: 'Zip',
    architectures: ['x86_64'],
  });
  return out;
}

/** The ENI history (every Lambda ENI's creation, the replaced one's deletion) and the two changes made by the deploy pipeline. */
function managementEvents(account: Account, span: Span, setup: TrapsSetup, rng: Rng): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  for (const eni of account.enis) if (eni.type === 'lambda') out.push(createEni(account, rng, eni));

  const { oldEni, ledger, pricing, deployRole } = setup;
  const deletedAt = oldEni.deletedAt ?? span.end;
  out.push(
    event(
      account,
      rng,
      deletedAt,
      lambdaCaller(rng, ledger.role, deletedAt),
      'ec2.amazonaws.com',
      'DeleteNetworkInterface',
      { networkInterfaceId: oldEni.id },
      { requestId: rng.uuid(), _return: true },
      [{ ResourceType: 'AWS::EC2::NetworkInterface', ResourceName: oldEni.id }],
    ),
  );

  const configAt = ledger.lastModified;
  const vpcConfig = { subnetIds: ledger.vpc?.subnets.map((s) => s.id) ?? [], securityGroupIds: ledger.vpc?.groups.map((g) => g.id) ?? [] };
  out.push(
    event(
      account,
      rng,
      configAt,
      deployCaller(rng, deployRole, configAt, 'update-function-configuration'),
      'lambda.amazonaws.com',
      'UpdateFunctionConfiguration20150331v2',
      { functionName: ledger.name, vpcConfig },
      configurationResponse(account, ledger, configAt),
      [{ ResourceType: 'AWS::Lambda::Function', ResourceName: ledger.name }],
    ),
  );

  out.push(
    event(
      account,
      rng,
      setup.deployAt,
      deployCaller(rng, deployRole, setup.deployAt, 'update-function-code'),
      'lambda.amazonaws.com',
      'UpdateFunctionCode20150331v2',
      { functionName: pricing.name, publish: false, dryRun: false },
      configurationResponse(account, pricing, setup.deployAt),
      [{ ResourceType: 'AWS::Lambda::Function', ResourceName: pricing.name }],
    ),
  );
  return out;
}
