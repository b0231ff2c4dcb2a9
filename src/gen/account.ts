// Builds the recorded account from a cast: VPC, subnets, security groups, roles, functions, their Hyperplane ENIs and the peer resources they talk to.
import {
  accountId,
  addressIn,
  addressInCidr,
  AWS_HOSTED_BLOCKS,
  intToIp,
  ipToInt,
  LAMBDA_EGRESS_BLOCKS,
  macAddress,
  resourceId,
  roleId,
} from './ids';
import type {
  Account,
  Cast,
  CastFunction,
  Eni,
  EniType,
  FunctionSpec,
  Peer,
  PeerEndpoint,
  Role,
  SecurityGroup,
  Span,
  Subnet,
  SubnetPurpose,
} from './model';
import type { Rng } from './random';
import { DAY_S, HOUR_S } from './time';

const AZ_IDS: Record<string, string> = {
  'us-east-1': 'use1',
  'us-west-2': 'usw2',
  'eu-west-1': 'euw1',
  'eu-central-1': 'euc1',
  'ap-southeast-2': 'apse2',
};

const HANDLERS: Record<string, string> = {
  'nodejs20.x': 'index.handler',
  'nodejs22.x': 'index.handler',
  'python3.12': 'app.lambda_handler',
  'python3.13': 'app.lambda_handler',
  java21: 'com.example.Handler::handleRequest',
};

interface Builder {
  rng: Rng;
  span: Span;
  region: string;
  secondOctet: number;
  enis: Eni[];
}

function makeSubnet(b: Builder, third: number, prefix: number, azLetter: string, azNumber: number, purpose: SubnetPurpose): Subnet {
  const network = ipToInt(`10.${b.secondOctet}.${third}.0`);
  return {
    id: resourceId(b.rng, 'subnet'),
    az: `${b.region}${azLetter}`,
    azId: `${AZ_IDS[b.region] ?? 'use1'}-az${azNumber}`,
    network,
    prefix,
    purpose,
    used: new Set<number>(),
  };
}

/** A free host address; AWS reserves the first four and the last of every subnet. */
function allocateIp(b: Builder, subnet: Subnet): string {
  const size = 2 ** (32 - subnet.prefix);
  for (;;) {
    const host = b.rng.int(4, size - 2);
    if (!subnet.used.has(host)) {
      subnet.used.add(host);
      return intToIp(subnet.network + host);
    }
  }
}

interface EniSpec {
  type: EniType;
  subnet: Subnet;
  groups: SecurityGroup[];
  description: string;
  requesterId?: string;
  requesterManaged: boolean;
  instanceId?: string;
  instanceOwnerId?: string;
  deviceIndex: number;
  attachTime: number;
  attachmentPrefix: string;
  publicIp?: string;
}

function addEni(b: Builder, spec: EniSpec): Eni {
  const eni: Eni = {
    index: b.enis.length,
    id: resourceId(b.rng, 'eni'),
    type: spec.type,
    ip: allocateIp(b, spec.subnet),
    subnet: spec.subnet,
    groups: spec.groups,
    description: spec.description,
    mac: macAddress(b.rng),
    requesterManaged: spec.requesterManaged,
    attachmentId: resourceId(b.rng, spec.attachmentPrefix),
    deviceIndex: spec.deviceIndex,
    attachTime: spec.attachTime,
    functions: [],
  };
  if (spec.requesterId !== undefined) eni.requesterId = spec.requesterId;
  if (spec.instanceId !== undefined) eni.instanceId = spec.instanceId;
  if (spec.instanceOwnerId !== undefined) eni.instanceOwnerId = spec.instanceOwnerId;
  if (spec.publicIp !== undefined) eni.publicIp = spec.publicIp;
  b.enis.push(eni);
  return eni;
}

function sg(b: Builder, name: string): SecurityGroup {
  return { id: resourceId(b.rng, 'sg'), name };
}

function awsAccountNumber(b: Builder): string {
  return String(b.rng.int(100000000000, 999999999999));
}

export function buildAccount(cast: Cast, span: Span, rng: Rng): Account {
  const b: Builder = { rng, span, region: cast.region, secondOctet: rng.int(16, 200), enis: [] };
  const account = accountId(rng);
  const infraTime = span.start - 40 * DAY_S;

  // Lambda subnets spread over AZs a, b, c; data, endpoint and public subnets as a typical three-tier VPC has them.
  const lambdaThirds = cast.lambdaPrefix === 24 ? [1, 2, 6] : [16, 32, 48];
  const lambdaSubnets = lambdaThirds
    .slice(0, cast.lambdaSubnets)
    .map((third, i) => makeSubnet(b, third, cast.lambdaPrefix, 'abc'[i] ?? 'a', i + 1, 'lambda'));
  const [lambdaA] = lambdaSubnets;
  if (!lambdaA) throw new Error('a cast needs at least one Lambda subnet');
  const data = makeSubnet(b, 3, 24, 'a', 1, 'data');
  const endpointA = makeSubnet(b, 4, 24, 'a', 1, 'endpoint');
  const endpointB = makeSubnet(b, 5, 24, 'b', 2, 'endpoint');
  const publicA = makeSubnet(b, 0, 24, 'a', 1, 'public');
  const subnets = [publicA, ...lambdaSubnets, data, endpointA, endpointB];

  const groups: SecurityGroup[] = [];
  const infraGroup = (name: string) => {
    const g = sg(b, name);
    groups.push(g);
    return g;
  };

  // Peer resources.
  const vpceId = resourceId(rng, 'vpce');
  const vpceGroup = infraGroup('vpc-endpoints');
  const vpceA = addEni(b, {
    type: 'vpc_endpoint',
    subnet: endpointA,
    groups: [vpceGroup],
    description: `VPC Endpoint Interface ${vpceId}`,
    requesterId: awsAccountNumber(b),
    requesterManaged: true,
    deviceIndex: 1,
    attachTime: infraTime,
    attachmentPrefix: 'eni-attach',
  });
  const vpceB = addEni(b, {
    type: 'vpc_endpoint',
    subnet: endpointB,
    groups: [vpceGroup],
    description: `VPC Endpoint Interface ${vpceId}`,
    requesterId: awsAccountNumber(b),
    requesterManaged: true,
    deviceIndex: 1,
    attachTime: infraTime,
    attachmentPrefix: 'eni-attach',
  });
  const cache = addEni(b, {
    type: 'interface',
    subnet: data,
    groups: [infraGroup('orders-cache')],
    description: 'ElastiCache orders-cache-0001-001',
    requesterId: 'amazon-elasticache',
    requesterManaged: true,
    instanceOwnerId: 'amazon-elasticache',
    deviceIndex: 1,
    attachTime: infraTime,
    attachmentPrefix: 'eni-attach',
  });
  const ec2 = addEni(b, {
    type: 'interface',
    subnet: lambdaA,
    groups: [infraGroup('ops-host')],
    description: 'Primary network interface',
    requesterManaged: false,
    instanceId: resourceId(rng, 'i'),
    instanceOwnerId: account,
    deviceIndex: 0,
    attachTime: infraTime,
    attachmentPrefix: 'eni-attach',
  });
  const natId = resourceId(rng, 'nat');
  const nat = addEni(b, {
    type: 'nat_gateway',
    subnet: publicA,
    groups: [],
    description: `Interface for NAT Gateway ${natId}`,
    requesterId: awsAccountNumber(b),
    requesterManaged: true,
    deviceIndex: 1,
    attachTime: infraTime,
    attachmentPrefix: 'eni-attach',
    publicIp: addressIn(rng, rng.pick(LAMBDA_EGRESS_BLOCKS)),
  });
  const alb = addEni(b, {
    type: 'interface',
    subnet: lambdaA,
    groups: [infraGroup('internal-api-alb')],
    description: `ELB app/internal-api/${rng.hex(16)}`,
    requesterId: 'amazon-elb',
    requesterManaged: true,
    instanceOwnerId: 'amazon-elb',
    deviceIndex: 1,
    attachTime: infraTime,
    attachmentPrefix: 'eni-attach',
  });
  const mysql = addEni(b, {
    type: 'interface',
    subnet: data,
    groups: [infraGroup('legacy-db')],
    description: 'RDSNetworkInterface',
    requesterId: 'amazon-rds',
    requesterManaged: true,
    instanceOwnerId: 'amazon-rds',
    deviceIndex: 1,
    attachTime: infraTime,
    attachmentPrefix: 'eni-attach',
  });
  const pg = addEni(b, {
    type: 'interface',
    subnet: data,
    groups: [infraGroup('orders-db')],
    description: 'RDSNetworkInterface',
    requesterId: 'amazon-rds',
    requesterManaged: true,
    instanceOwnerId: 'amazon-rds',
    deviceIndex: 1,
    attachTime: infraTime,
    attachmentPrefix: 'eni-attach',
  });

  const peers = new Map<string, Peer>();
  const single = (key: string, kind: Peer['kind'], port: number, eni: Eni) => {
    peers.set(key, { key, kind, port, endpoints: [{ ip: eni.ip, eni }], pick: 'single', viaNat: false });
  };
  single('pg', 'postgres', 5432, pg);
  single('mysql', 'mysql', 3306, mysql);
  single('redis', 'redis', 6379, cache);
  single('alb', 'alb', 443, alb);
  single('ec2', 'ec2', 22, ec2);
  peers.set('vpce', {
    key: 'vpce',
    kind: 'vpce',
    port: 443,
    endpoints: [
      { ip: vpceA.ip, eni: vpceA },
      { ip: vpceB.ip, eni: vpceB },
    ],
    pick: 'az',
    viaNat: false,
  });
  for (const saas of cast.saas) {
    const block = rng.pick(AWS_HOSTED_BLOCKS);
    const endpoints: PeerEndpoint[] = [];
    while (endpoints.length < saas.addresses) {
      const ip = addressIn(rng, block);
      if (!endpoints.some((e) => e.ip === ip)) endpoints.push({ ip });
    }
    peers.set(`saas:${saas.key}`, { key: `saas:${saas.key}`, kind: 'saas', port: 443, endpoints, pick: 'rotate', viaNat: true });
  }
  for (const svc of cast.awsServices ?? []) {
    peers.set(svc.key, {
      key: svc.key,
      kind: svc.kind,
      port: svc.port,
      endpoints: [],
      pick: 'fresh',
      viaNat: svc.viaNat,
      service: svc.service,
      prefixes: svc.prefixes,
    });
  }

  // Roles, in order of first use.
  const roles = new Map<string, Role>();
  for (const f of cast.functions) {
    if (!roles.has(f.role)) roles.set(f.role, { name: f.role, arn: `arn:aws:iam::${account}:role/${f.role}`, roleId: roleId(rng) });
  }

  // Function security groups by name, shared wherever the cast reuses a name.
  const fnGroups = new Map<string, SecurityGroup>();
  const fnGroup = (name: string) => {
    let g = fnGroups.get(name);
    if (!g) {
      g = sg(b, name);
      fnGroups.set(name, g);
      groups.push(g);
    }
    return g;
  };

  const functions = cast.functions.map((cf, index) => buildFunction(b, cf, index, account, cast, roles, lambdaSubnets, fnGroup, peers));

  // Hyperplane ENIs: one per subnet and exact group set, named after the function whose configuration created it.
  const byKey = new Map<string, Eni>();
  for (const fn of functions) {
    if (!fn.vpc) continue;
    const groupIds = fn.vpc.groups.map((g) => g.id).sort();
    for (const subnet of fn.vpc.subnets) {
      const key = `${subnet.id}|${groupIds.join(',')}`;
      let eni = byKey.get(key);
      if (!eni) {
        eni = addEni(b, {
          type: 'lambda',
          subnet,
          groups: fn.vpc.groups,
          description: `AWS Lambda VPC ENI-${fn.name}-${rng.uuid()}`,
          requesterId: `AROA${rng.upperAlnum(17)}:${rng.hex(8)}`,
          requesterManaged: false,
          instanceOwnerId: 'amazon-aws',
          deviceIndex: 1,
          attachTime: span.start - 30 * DAY_S + rng.int(0, 10) * DAY_S + rng.int(0, DAY_S - 1),
          attachmentPrefix: 'ela-attach',
        });
        byKey.set(key, eni);
      }
      eni.functions.push(fn);
      fn.enis.push(eni);
    }
  }

  return {
    accountId: account,
    region: cast.region,
    vpcId: resourceId(rng, 'vpc'),
    cidr: `10.${b.secondOctet}.0.0/16`,
    subnets,
    groups,
    roles: [...roles.values()],
    functions,
    enis: b.enis,
    peers,
    nat,
    ec2,
    vpceId,
    flowLogId: resourceId(rng, 'fl'),
    flowLogCreated: span.start - 60 * DAY_S,
    kmsKeyArn: `arn:aws:kms:${cast.region}:${account}:key/${rng.uuid()}`,
  };
}

function buildFunction(
  b: Builder,
  cf: CastFunction,
  index: number,
  account: string,
  cast: Cast,
  roles: Map<string, Role>,
  lambdaSubnets: Subnet[],
  fnGroup: (name: string) => SecurityGroup,
  peers: Map<string, Peer>,
): FunctionSpec {
  const { rng, span } = b;
  const role = roles.get(cf.role);
  if (!role) throw new Error(`no role ${cf.role}`);
  const fn: FunctionSpec = {
    index,
    name: cf.name,
    arn: `arn:aws:lambda:${cast.region}:${account}:function:${cf.name}`,
    runtime: cf.runtime,
    handler: HANDLERS[cf.runtime] ?? 'index.handler',
    memory: cf.memory,
    timeout: cf.durationMs > 5000 ? 300 : 30,
    role,
    enis: [],
    peakPerHour: cf.peakPerHour,
    growth: cf.growth ?? 0,
    phaseHours: cf.phaseHours ?? 0,
    errorRate: cf.errorRate ?? 0.004,
    durationMs: cf.durationMs,
    apis: cf.apis,
    conversations: [],
    kmsEnv: cf.kmsEnv ?? false,
    tags: {
      'aws:cloudformation:stack-name': cast.stack,
      'aws:cloudformation:logical-id': `${cf.name.replace(/[^A-Za-z0-9]/g, '')}Function`,
      team: cf.team ?? 'platform',
    },
    codeSize: rng.int(200_000, 9_000_000),
    codeSha256: rng.bytes(32).toString('base64'),
    revisionId: rng.uuid(),
    lastModified: span.start - 20 * DAY_S + rng.int(0, 5 * DAY_S),
    publicIps: Array.from({ length: 6 }, () => addressIn(rng, rng.pick(LAMBDA_EGRESS_BLOCKS))),
  };
  if (cf.dailyHour !== undefined) fn.dailyHour = cf.dailyHour;
  if (cf.vpc) {
    fn.vpc = {
      subnets: cf.vpc.subnets.map((i) => {
        const s = lambdaSubnets[i];
        if (!s) throw new Error(`${cf.name}: no Lambda subnet #${i}`);
        return s;
      }),
      groups: cf.vpc.groups.map(fnGroup),
    };
  }
  for (const talk of cf.talks) {
    const peer = peers.get(talk.peer);
    if (!peer) throw new Error(`${cf.name}: unknown peer ${talk.peer}`);
    if (!cf.vpc) throw new Error(`${cf.name}: only VPC functions have network peers`);
    if (talk.weekly) {
      // The detection day's weekday at 02:00, so that the job runs inside the detection window too.
      const at = span.detectStart + 2 * HOUR_S;
      fn.conversations.push({
        peer,
        perInvocation: 0,
        weekly: { weekday: new Date(at * 1000).getUTCDay(), hour: new Date(at * 1000).getUTCHours(), conversations: talk.weekly },
      });
    } else {
      fn.conversations.push({ peer, perInvocation: talk.perInvocation });
    }
  }
  return fn;
}

/**
 * Another Lambda ENI after the account is built (a replacement for one that Lambda deletes): same shape as the
 * ones buildAccount makes, for `functions`, named after the first of them.
 */
export function addLambdaEni(
  account: Account,
  rng: Rng,
  subnet: Subnet,
  groups: SecurityGroup[],
  functions: FunctionSpec[],
  attachTime: number,
): Eni {
  const size = 2 ** (32 - subnet.prefix);
  let host = rng.int(4, size - 2);
  while (subnet.used.has(host)) host = rng.int(4, size - 2);
  subnet.used.add(host);
  const eni: Eni = {
    index: account.enis.length,
    id: resourceId(rng, 'eni'),
    type: 'lambda',
    ip: intToIp(subnet.network + host),
    subnet,
    groups,
    description: `AWS Lambda VPC ENI-${functions[0]?.name ?? 'function'}-${rng.uuid()}`,
    mac: macAddress(rng),
    requesterId: `AROA${rng.upperAlnum(17)}:${rng.hex(8)}`,
    requesterManaged: false,
    instanceOwnerId: 'amazon-aws',
    attachmentId: resourceId(rng, 'ela-attach'),
    deviceIndex: 1,
    attachTime,
    functions: [...functions],
  };
  account.enis.push(eni);
  return eni;
}

/** Whether `eni` carries traffic at `t` (epoch seconds): a replaced ENI stops, its replacement starts. */
export function eniLive(eni: Eni, t: number): boolean {
  return (eni.activeFrom === undefined || t >= eni.activeFrom) && (eni.activeUntil === undefined || t < eni.activeUntil);
}

/** Whether a function's traffic spreads over its ENIs other than evenly over the whole span. */
export function unevenEnis(fn: FunctionSpec): boolean {
  return fn.failover !== undefined || fn.enis.some((e) => e.activeFrom !== undefined || e.activeUntil !== undefined);
}

/** The share of `fn`'s connections that leave through `eni` at `t`: even over its live ENIs, unless an AZ failover says otherwise. */
export function eniShare(fn: FunctionSpec, eni: Eni, t: number): number {
  if (!eniLive(eni, t)) return 0;
  const live = fn.enis.filter((e) => eniLive(e, t));
  const f = fn.failover;
  if (f && live.length > 1 && live.includes(f.to)) {
    if (eni === f.to) return t >= f.at ? 1 : f.share;
    return t >= f.at ? 0 : (1 - f.share) / (live.length - 1);
  }
  return 1 / live.length;
}

/** The endpoint of `peer` that a connection from `eni` reaches. */
export function endpointFor(peer: Peer, eni: Eni, rng: Rng): PeerEndpoint {
  if (peer.pick === 'fresh') return { ip: addressInCidr(rng, rng.pick(peer.prefixes ?? [])) };
  const eps = peer.endpoints;
  if (peer.pick === 'az') {
    const sameAz = eps.find((e) => e.eni?.subnet.az === eni.subnet.az);
    return sameAz ?? (eps[0] as PeerEndpoint);
  }
  if (peer.pick === 'rotate') return eps[rng.int(0, eps.length - 1)] as PeerEndpoint;
  return eps[0] as PeerEndpoint;
}
